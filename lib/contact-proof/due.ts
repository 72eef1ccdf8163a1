/**
 * When a person must (required mode) or should now (optional mode, first sign-in only) bind a
 * phone or email: they have none of the configured channels bound.
 */
import "server-only";
import type { ContactFacts } from "@/lib/db/people";
import { getEnv } from "@/lib/env";

/** Whether the binding rule needs to know anything about the user at all. */
export function isBindingOn(): boolean {
  return getEnv().bind.mode !== "off";
}

export function isBindingDue(facts: ContactFacts | undefined, options: { justSignedIn?: boolean } = {}): boolean {
  const { mode, channels } = getEnv().bind;
  if (mode === "off" || (mode === "optional" && !options.justSignedIn)) return false;
  if (!facts || channels.some((channel) => (channel === "phone" ? facts.phone : facts.email))) return false;
  // Optional binding is offered once, at the first sign-in; required binding every time.
  return mode === "required" || facts.signIns <= 1;
}

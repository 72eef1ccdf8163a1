/**
 * Where a sign-in lands: the one landing rule of every surface.
 *
 * Return targets after sign-in are same-origin paths only. Anything else (absolute URLs to
 * other hosts, protocol-relative `//evil`, backslash tricks, javascript:) falls back to the
 * default, so a login link can never bounce the user to another site.
 */
import "server-only";
import { isBindingDue } from "@/lib/contact-proof/due";
import type { ContactFacts } from "@/lib/db/people";

export const DEFAULT_RETURN_TO = "/account";

export function safeReturnTo(candidate: string | null | undefined, fallback = DEFAULT_RETURN_TO): string {
  if (!candidate || candidate.length > 2048) return fallback;
  if (!candidate.startsWith("/") || candidate.startsWith("//") || candidate.includes("\\")) return fallback;
  // Control characters can make browsers read the path differently from us.
  if (/[\u0000-\u001f\u007f]/.test(candidate)) return fallback;
  const base = "http://same-origin.invalid";
  let parsed: URL;
  try {
    parsed = new URL(candidate, base);
  } catch {
    return fallback;
  }
  if (parsed.origin !== base) return fallback;
  const path = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  // Never send a user back into the sign-in machinery itself.
  if (path.startsWith("/api/wechat/") || path.startsWith("/api/auth/")) return fallback;
  return path;
}

/** After a sign-in: `returnTo`, or /bind first when binding a phone or email is due. */
export function landingAfterSignIn(returnTo: string, facts: ContactFacts | undefined): string {
  return isBindingDue(facts, { justSignedIn: true }) ? `/bind?${new URLSearchParams({ returnTo })}` : returnTo;
}

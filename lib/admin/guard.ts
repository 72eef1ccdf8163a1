/**
 * The one gate of the operator console, called first by every /admin page and server action.
 * Signed out: the normal WeChat sign-in, then back to the page. Signed in without the operator
 * role: the 403 page (app/forbidden.tsx); an action refused that way is written to the audit log.
 * The role is read from the database on every request, so a revoke takes effect at once.
 */
import "server-only";
import { headers } from "next/headers";
import { forbidden, redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { isOperator, recordOperatorAction, type OperatorAction } from "@/lib/db/operators";
import { clientIpFromHeaders } from "@/lib/http";

export type Operator = { id: string; ip: string | null };

/** Only same-site paths under /admin come back after the sign-in. */
function adminPath(path: string): string {
  return path.startsWith("/admin") && !path.startsWith("//") ? path : "/admin";
}

/** For pages: the operator, or a redirect to the sign-in (signed out) or the 403 page. */
export async function requireOperator(returnTo = "/admin"): Promise<Operator> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) redirect(`/login?${new URLSearchParams({ returnTo: adminPath(returnTo) })}`);
  if (!(await isOperator(userId))) forbidden();
  return { id: userId, ip: clientIpFromHeaders(await headers()) };
}

/**
 * For server actions: as {@link requireOperator}, and a signed-in non-operator's attempt lands in
 * the audit log (`admin.refused`, actorId = who tried) before the 403.
 */
export async function requireOperatorAction(action: OperatorAction, returnTo = "/admin"): Promise<Operator> {
  const session = await auth();
  const userId = session?.user?.id;
  if (!userId) redirect(`/login?${new URLSearchParams({ returnTo: adminPath(returnTo) })}`);
  const ip = clientIpFromHeaders(await headers());
  if (!(await isOperator(userId))) {
    await recordOperatorAction({ actorId: userId, action: "admin.refused", ip, outcome: "not_operator", detail: { attempted: action } });
    forbidden();
  }
  return { id: userId, ip };
}

"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { auth, signOut } from "@/lib/auth";
import { sessionCookie, sessionCookieName } from "@/lib/auth/cookies";
import { deleteAllSessions, deleteSession, findSessionIdByToken, unlinkIdentity } from "@/lib/db/accounts";
import { closeLoginStatesOfUser } from "@/lib/db/login-states";
import { clientIpFromHeaders, logUnexpected } from "@/lib/http";
import { logger } from "@/lib/logger";
import { accountNoticeUrl, type AccountNotice } from "./notices";

// `signed_out` keeps /login from signing a WeChat in-app browser straight back in.
const SIGNED_OUT_URL = "/login?signed_out=1";

const unlinkFormSchema = z.object({ identityId: z.string().min(1).max(64) });
const revokeFormSchema = z.object({ sessionId: z.string().min(1).max(64) });

async function requireUserId(): Promise<string> {
  const session = await auth();
  if (!session?.user?.id) redirect("/login?returnTo=/account");
  return session.user.id;
}

/** Signs this browser out: the sign-out buttons of the account page and of /bind. */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: SIGNED_OUT_URL });
}

/** Unlinks one of the signed-in user's WeChat identities; the rule is re-checked in the database. */
export async function unlinkIdentityAction(formData: FormData): Promise<void> {
  const userId = await requireUserId();
  const form = unlinkFormSchema.safeParse({ identityId: formData.get("identityId") });
  if (!form.success) redirect(accountNoticeUrl("identity_not_found"));
  let notice: AccountNotice;
  try {
    const result = await unlinkIdentity(userId, form.data.identityId, { ip: clientIpFromHeaders(await headers()) });
    notice = result.ok ? "identity_unlinked" : result.error === "last_method" ? "identity_last_method" : "identity_not_found";
    if (result.ok) logger.info("account.identity.unlinked", { userId, appId: result.appId });
  } catch (error) {
    logUnexpected("account.identity", error, { userId });
    notice = "error";
  }
  redirect(accountNoticeUrl(notice));
}

/** Signs one of the user's devices out; for this browser's own session it is a plain sign-out. */
export async function revokeSessionAction(formData: FormData): Promise<void> {
  const userId = await requireUserId();
  const form = revokeFormSchema.safeParse({ sessionId: formData.get("sessionId") });
  if (!form.success) redirect(accountNoticeUrl("session_not_found"));
  const token = (await cookies()).get(sessionCookieName())?.value;
  const currentId = token ? await findSessionIdByToken(userId, token) : undefined;
  if (form.data.sessionId === currentId) await signOut({ redirectTo: SIGNED_OUT_URL });
  let notice: AccountNotice;
  try {
    const deleted = await deleteSession(userId, form.data.sessionId);
    // As on sign-out: that browser must not get back in by replaying its old WeChat callback.
    if (deleted) await closeLoginStatesOfUser(userId);
    notice = deleted ? "session_revoked" : "session_not_found";
  } catch (error) {
    logUnexpected("account.session", error, { userId });
    notice = "error";
  }
  redirect(accountNoticeUrl(notice));
}

/** Ends every session of the user, this one included, and sends this browser to /login. */
export async function signOutEverywhereAction(): Promise<void> {
  const userId = await requireUserId();
  try {
    // States first: a callback replayed in between could otherwise open a session we miss.
    await closeLoginStatesOfUser(userId);
    const count = await deleteAllSessions(userId);
    logger.info("account.sessions.revoked_all", { userId, count });
  } catch (error) {
    logUnexpected("account.sessions", error, { userId });
    redirect(accountNoticeUrl("error"));
  }
  // The session row is gone; clear the now dangling cookie too.
  const cleared = sessionCookie("", new Date(0));
  (await cookies()).set(cleared.name, cleared.value, cleared.options);
  redirect(SIGNED_OUT_URL);
}

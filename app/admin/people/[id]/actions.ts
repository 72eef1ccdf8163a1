"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { requireOperatorAction, type Operator } from "@/lib/admin/guard";
import { deleteAllSessions, unlinkIdentity } from "@/lib/db/accounts";
import { closeLoginStatesOfUser } from "@/lib/db/login-states";
import { endSessionOf, recordOperatorAction, type OperatorAction } from "@/lib/db/operators";
import { logUnexpected } from "@/lib/http";
import { personNoticeUrl, type PersonNotice } from "./notices";

const ID = z.string().regex(/^[\w-]{1,64}$/);
const endSessionSchema = z.object({ userId: ID, sessionId: ID });
const endAllSchema = z.object({ userId: ID });
const unlinkSchema = z.object({ userId: ID, identityId: ID });

/**
 * Runs one operator action on a person: the guard (a refusal is audited there), the change, and
 * an audit entry naming the operator whatever the outcome, then back to the person's page.
 */
async function act<T extends z.ZodType<{ userId: string }>>(
  action: OperatorAction,
  schema: T,
  formData: FormData,
  run: (form: z.infer<T>, operator: Operator) => Promise<{ notice: PersonNotice; detail?: Record<string, string | number | null> }>,
): Promise<never> {
  const form = schema.safeParse(Object.fromEntries(formData));
  const userId = form.success ? form.data.userId : null;
  const operator = await requireOperatorAction(action, userId ? `/admin/people/${userId}` : "/admin/people");
  if (!form.success) {
    await recordOperatorAction({ actorId: operator.id, action, ip: operator.ip, outcome: "invalid_request" });
    redirect("/admin/people");
  }
  let notice: PersonNotice;
  let detail: Record<string, string | number | null> | undefined;
  try {
    ({ notice, detail } = await run(form.data, operator));
  } catch (error) {
    logUnexpected(action, error, { operatorId: operator.id, userId });
    notice = "error";
  }
  await recordOperatorAction({ actorId: operator.id, action, userId, ip: operator.ip, outcome: notice, detail });
  redirect(personNoticeUrl(form.data.userId, notice));
}

/** Ends one of the person's sessions: that browser is signed out at its next request. */
export async function endSessionAction(formData: FormData): Promise<void> {
  await act("admin.session.end", endSessionSchema, formData, async ({ userId, sessionId }) => {
    const ended = await endSessionOf(userId, sessionId);
    // As on the account page: that browser must not get back in by replaying its WeChat callback.
    if (ended) await closeLoginStatesOfUser(userId);
    return { notice: ended ? "session_ended" : "session_not_found", detail: { sessionId } };
  });
}

/** Ends every session of the person. */
export async function endAllSessionsAction(formData: FormData): Promise<void> {
  await act("admin.sessions.end_all", endAllSchema, formData, async ({ userId }) => {
    await closeLoginStatesOfUser(userId);
    const count = await deleteAllSessions(userId);
    return { notice: "sessions_ended", detail: { count } };
  });
}

/** Unlinks one WeChat identity of the person, never the last way in (the account page's rule, in lib/db). */
export async function unlinkIdentityAction(formData: FormData): Promise<void> {
  await act("admin.identity.unlink", unlinkSchema, formData, async ({ userId, identityId }, operator) => {
    const result = await unlinkIdentity(userId, identityId, { ip: operator.ip, actorId: operator.id });
    if (result.ok) return { notice: "identity_unlinked", detail: { appId: result.appId } };
    return { notice: result.error === "last_method" ? "identity_last_method" : "identity_not_found" };
  });
}

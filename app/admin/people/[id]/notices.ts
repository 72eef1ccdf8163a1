import { z } from "zod";

/** What an operator action on a person reports back through `?notice=`; each has a message in lib/i18n. */
export const personNoticeSchema = z.enum([
  "session_ended",
  "sessions_ended",
  "session_not_found",
  "identity_unlinked",
  "identity_last_method",
  "identity_not_found",
  "error",
]);
export type PersonNotice = z.infer<typeof personNoticeSchema>;

export function isPersonNoticeOk(notice: PersonNotice): boolean {
  return notice === "session_ended" || notice === "sessions_ended" || notice === "identity_unlinked";
}

export function personNoticeUrl(userId: string, notice: PersonNotice): string {
  return `/admin/people/${encodeURIComponent(userId)}?${new URLSearchParams({ notice })}`;
}

import { z } from "zod";

/** What an account action reports back through `/account?notice=`; each has a message in lib/i18n. */
export const accountNoticeSchema = z.enum(["identity_unlinked", "identity_last_method", "identity_not_found", "session_revoked", "session_not_found", "error"]);
export type AccountNotice = z.infer<typeof accountNoticeSchema>;

export function isNoticeOk(notice: AccountNotice): boolean {
  return notice === "identity_unlinked" || notice === "session_revoked";
}

export function accountNoticeUrl(notice: AccountNotice): string {
  return `/account?${new URLSearchParams({ notice })}`;
}

/**
 * WeChat diagnostics for operators: the daily quota of the cgi-bin endpoints this product calls
 * (`cgi-bin/openapi/quota/get`) and WeChat's own account of a failed call (`cgi-bin/openapi/rid/get`).
 *
 * CONTRACT STUB: the diagnostics work fills these in; the signatures are what callers rely on.
 *
 * @see docs/wechat-protocol.md §I
 */
import "server-only";
import type { LoginErrorCode } from "@/lib/errors";

/** The cgi-bin endpoints the product calls, whose daily quota is read. */
export const QUOTA_PATHS = ["/cgi-bin/stable_token", "/cgi-bin/qrcode/create", "/cgi-bin/user/info"] as const;

export type QuotaReading =
  | { appId: string; endpoint: string; ok: true; dailyLimit: number; used: number; remain: number; readAt: Date }
  | { appId: string; endpoint: string; ok: false; errorCode: LoginErrorCode; errcode?: number | undefined; readAt: Date };

/** Every Official Account's (and mini program's) quota for {@link QUOTA_PATHS}; cached 5 minutes unless `fresh`. */
export async function readQuotas(_options: { fresh?: boolean } = {}): Promise<QuotaReading[]> {
  return [];
}

export type RidExplanation =
  | { ok: true; rid: string; invokeTime: Date; costInMs: number; requestUrl: string; requestBody: string | null; responseBody: string; clientIp: string }
  | { ok: false; rid: string; errorCode: LoginErrorCode; errcode?: number | undefined };

/** Asks WeChat what happened in the call that returned `rid`, with the access token of `appId`'s app. */
export async function explainRid(rid: string, _options: { appId: string }): Promise<RidExplanation> {
  return { ok: false, rid, errorCode: "upstream_unavailable" };
}

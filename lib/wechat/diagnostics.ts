/**
 * WeChat diagnostics for operators: the daily quota of the endpoints this product calls
 * (`cgi-bin/openapi/quota/get`) and WeChat's own account of a failed call (`cgi-bin/openapi/rid/get`).
 * Both ask with the app access token of an Official Account or a mini program (lib/wechat/app-token.ts);
 * a website app has none, so its rids cannot be explained.
 *
 * @see docs/wechat-protocol.md §I
 */
import "server-only";
import type { LoginErrorCode } from "@/lib/errors";
import { isAppError, loginErrorForErrcode } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { callWechatApi, WechatApiError } from "./api-client";
import { withAppToken, type AppCredentials } from "./app-token";
import { findAnyWechatAppById, listTokenHoldingApps } from "./apps";
import { quotaAnswerSchema, ridAnswerSchema } from "./schemas";

/** The cgi-bin endpoints an Official Account calls, whose daily quota is read. */
export const QUOTA_PATHS = ["/cgi-bin/stable_token", "/cgi-bin/qrcode/create", "/cgi-bin/user/info"] as const;

/** The paths read per kind of account: a mini program's token works on its own APIs only (§H1). */
export const QUOTA_PATHS_BY_KIND = {
  official_account: QUOTA_PATHS,
  mini_program: ["/wxa/getwxacodeunlimit"],
} as const satisfies Record<QuotaAccountKind, readonly string[]>;

/** The kinds of app that hold an app access token and so can ask quota/get and rid/get. */
export type QuotaAccountKind = "official_account" | "mini_program";

type ReadingBase = {
  appId: string;
  /** Our key for the app (`oa`, `mp`, WECHAT_APPS's keys). */
  appKey: string;
  kind: QuotaAccountKind;
  endpoint: string;
  readAt: Date;
};

/**
 * One path of one app: `ok` with the day's numbers; `not_metered` when WeChat says it does not meter the path
 * (76021: not a failure, there is simply no quota); `failed` otherwise (errorCode says why).
 */
export type QuotaReading =
  | (ReadingBase & { ok: true; status: "ok"; dailyLimit: number; used: number; remain: number })
  | (ReadingBase & { ok: false; status: "not_metered"; errorCode: "76021"; errcode: 76021 })
  | (ReadingBase & { ok: false; status: "failed"; errorCode: LoginErrorCode; errcode?: number | undefined });

/** quota/get has a daily quota of its own (§I3): one reading per 5 minutes per process is plenty. */
const QUOTA_CACHE_MS = 5 * 60_000;

type QuotaCache = { at: number; readings: Promise<QuotaReading[]> };
const globalForQuotas = globalThis as typeof globalThis & { __wechatQuotaReadings?: QuotaCache };

/**
 * Every Official Account's and mini program's quota for its paths ({@link QUOTA_PATHS_BY_KIND}); cached
 * 5 minutes per process unless `fresh`. Never throws: a path that cannot be read is a `failed` reading.
 * @see docs/wechat-protocol.md §I1
 */
export async function readQuotas(options: { fresh?: boolean } = {}): Promise<QuotaReading[]> {
  const cached = globalForQuotas.__wechatQuotaReadings;
  if (!options.fresh && cached && Date.now() - cached.at < QUOTA_CACHE_MS) return cached.readings;
  // Concurrent callers (the console and a scrape) share one round of reads, which never rejects.
  const readings = readAllQuotas();
  globalForQuotas.__wechatQuotaReadings = { at: Date.now(), readings };
  return readings;
}

/** Forgets the cached readings (tests, and the emulator's reset: its counters start over). */
export function forgetQuotaReadings(): void {
  delete globalForQuotas.__wechatQuotaReadings;
}

async function readAllQuotas(): Promise<QuotaReading[]> {
  const perApp = await Promise.all(
    listTokenHoldingApps().map(({ kind, key, appId, secret }) =>
      Promise.all(QUOTA_PATHS_BY_KIND[kind].map((endpoint) => readQuota({ appId, secret }, { appId, appKey: key, kind, endpoint }))),
    ),
  );
  return perApp.flat();
}

async function readQuota(app: AppCredentials, base: Omit<ReadingBase, "readAt">): Promise<QuotaReading> {
  try {
    const answer = await withAppToken(app, (accessToken) =>
      callWechatApi("/cgi-bin/openapi/quota/get", { access_token: accessToken }, quotaAnswerSchema, { json: { cgi_path: base.endpoint } }),
    );
    const { daily_limit: dailyLimit, used, remain } = answer.quota;
    return { ...base, readAt: new Date(), ok: true, status: "ok", dailyLimit, used, remain };
  } catch (error) {
    if (error instanceof WechatApiError && error.errcode === 76021) {
      return { ...base, readAt: new Date(), ok: false, status: "not_metered", errorCode: "76021", errcode: 76021 };
    }
    const failure = describeFailure(error);
    logger.warn("wechat.quota.unreadable", { appId: base.appId, endpoint: base.endpoint, errorCode: failure.errorCode, errcode: failure.errcode });
    return { ...base, readAt: new Date(), ok: false, status: "failed", ...failure };
  }
}

export type RidExplanation =
  | { ok: true; rid: string; invokeTime: Date; costInMs: number; requestUrl: string; requestBody: string | null; responseBody: string; clientIp: string }
  | { ok: false; rid: string; errorCode: LoginErrorCode; errcode?: number | undefined };

/** The current rid shape (§0); the older `req_id`/`hint` forms cannot be asked about. */
const RID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

const RID_ERRCODES: Readonly<Record<number, LoginErrorCode>> = {
  76001: "rid_not_found",
  76002: "rid_invalid",
  76003: "rid_not_ours",
  76004: "rid_expired",
};

/**
 * Asks WeChat what happened in the call that returned `rid`, with the access token of `appId`'s app (the app
 * the failed call was made for). Tokens and secrets in the answer's request and response are redacted. Never
 * throws: a rid that cannot be explained is `ok: false` with the reason.
 * @see docs/wechat-protocol.md §I2
 */
export async function explainRid(rid: string, options: { appId: string }): Promise<RidExplanation> {
  if (!RID_PATTERN.test(rid)) return { ok: false, rid, errorCode: "rid_invalid" };
  const app = findAnyWechatAppById(options.appId);
  if (!app) return { ok: false, rid, errorCode: "unknown_app" };
  if (app.kind === "website") return { ok: false, rid, errorCode: "rid_unexplainable" };

  const secrets = new Set<string>([app.secret]);
  try {
    const answer = await withAppToken(app, (accessToken) => {
      secrets.add(accessToken);
      return callWechatApi("/cgi-bin/openapi/rid/get", { access_token: accessToken }, ridAnswerSchema, { json: { rid } });
    });
    const request = answer.request;
    return {
      ok: true,
      rid,
      invokeTime: new Date(request.invoke_time * 1000),
      costInMs: request.cost_in_ms,
      requestUrl: redactSecrets(request.request_url, secrets),
      requestBody: request.request_body === "" ? null : redactSecrets(request.request_body, secrets),
      responseBody: redactSecrets(request.response_body, secrets),
      clientIp: request.client_ip,
    };
  } catch (error) {
    const failure = describeFailure(error);
    const errorCode = (failure.errcode === undefined ? undefined : RID_ERRCODES[failure.errcode]) ?? failure.errorCode;
    logger.info("wechat.rid.unexplained", { appId: app.appId, rid, errorCode, errcode: failure.errcode });
    return { ok: false, rid, errorCode, ...(failure.errcode === undefined ? {} : { errcode: failure.errcode }) };
  }
}

function describeFailure(error: unknown): { errorCode: LoginErrorCode; errcode?: number } {
  if (error instanceof WechatApiError) return { errorCode: loginErrorForErrcode(error.errcode), errcode: error.errcode };
  if (isAppError(error) && isLoginCode(error.code)) return { errorCode: error.code };
  logger.error("wechat.diagnostics.failed", { error: error instanceof Error ? error.message : String(error) });
  return { errorCode: "server_error" };
}

function isLoginCode(code: string): code is "timeout" | "upstream_unavailable" | "malformed_response" {
  return code === "timeout" || code === "upstream_unavailable" || code === "malformed_response";
}

/** Names whose values are credentials: tokens, secrets and one-time codes (§I2). */
const SECRET_NAMES = ["access_token", "refresh_token", "secret", "appsecret", "code", "js_code"];
const REDACTED = "[redacted]";
const QUERY_SECRET = new RegExp(`(^|[?&])(${SECRET_NAMES.join("|")})=[^&#]*`, "gi");
const JSON_SECRET = new RegExp(`("(?:${SECRET_NAMES.join("|")})"\\s*:\\s*)("(?:[^"\\\\]|\\\\.)*"|[^,}\\s]+)`, "gi");

/**
 * Replaces the values of credential parameters in a query string, a form body or JSON text, and any
 * occurrence of the secrets we know (the app's secret, the token we asked with) wherever they appear.
 */
export function redactSecrets(text: string, known: ReadonlySet<string> = new Set()): string {
  let redacted = text.replace(QUERY_SECRET, `$1$2=${REDACTED}`).replace(JSON_SECRET, `$1"${REDACTED}"`);
  for (const secret of known) {
    if (secret.length >= 8) {
      redacted = redacted.replaceAll(secret, REDACTED).replaceAll(encodeURIComponent(secret), REDACTED);
    }
  }
  return redacted;
}

/**
 * One error type for expected failures, and the one catalogue of their codes.
 *
 * `AppError.code` is a closed union: WeChat's errcodes the product knows, our own sign-in codes
 * (state checks, network, cancel), the ticket API's refusals and a request's refusals. Every
 * sign-in code has a next step here and a message in each language (`error.<code>` in lib/i18n,
 * checked by the type there). `detail` is for the server log only and never reaches a page or a
 * response body; lib/http/respond.ts is the one place that turns an error into an answer.
 *
 * @see docs/wechat-protocol.md §A5, §H2, §H3, §H4, §H7, §I
 */

/** What the error page offers: scan again, try later, start over, or contact the site. */
export type NextStep = "scan_again" | "retry_later" | "start_again" | "contact_site";

const WECHAT_ERRCODES = {
  "-1": "retry_later",
  "40001": "contact_site",
  "40002": "contact_site",
  "40003": "scan_again",
  "40013": "contact_site",
  "40014": "scan_again",
  "40029": "scan_again",
  "40030": "scan_again",
  "40097": "contact_site",
  "40125": "contact_site",
  "40129": "contact_site",
  "40163": "scan_again",
  "40164": "contact_site",
  "40165": "contact_site",
  "40169": "contact_site",
  "40212": "contact_site",
  "40226": "contact_site",
  "40243": "contact_site",
  "41001": "contact_site",
  "41002": "contact_site",
  "41003": "contact_site",
  "41004": "contact_site",
  "41008": "scan_again",
  "41009": "contact_site",
  "41030": "contact_site",
  "42001": "scan_again",
  "42002": "scan_again",
  "42003": "scan_again",
  "42007": "scan_again",
  "44002": "contact_site",
  "44990": "retry_later",
  "45009": "retry_later",
  "45011": "retry_later",
  "45029": "contact_site",
  "45063": "contact_site",
  "47001": "contact_site",
  "48001": "contact_site",
  "50001": "scan_again",
  "50002": "contact_site",
  "76021": "contact_site",
  "76022": "contact_site",
  "85079": "contact_site",
  "85400": "contact_site",
  "85401": "contact_site",
} as const satisfies Record<string, NextStep>;

const APP_ERRORS = {
  cancelled: "scan_again",
  state_missing: "start_again",
  state_invalid: "start_again",
  state_expired: "start_again",
  state_used: "start_again",
  state_wrong_browser: "start_again",
  code_missing: "scan_again",
  timeout: "retry_later",
  upstream_unavailable: "retry_later",
  malformed_response: "retry_later",
  snapshot_user: "start_again",
  unknown_app: "start_again",
  url_link_unavailable: "scan_again",
  unknown_errcode: "contact_site",
  server_error: "retry_later",
  // Explaining a rid (cgi-bin/openapi/rid/get, §I2): what the operator's console shows instead of WeChat's answer.
  rid_invalid: "contact_site",
  rid_not_found: "retry_later",
  rid_not_ours: "contact_site",
  rid_expired: "contact_site",
  rid_unexplainable: "contact_site",
} as const satisfies Record<string, NextStep>;

export type WechatErrcode = keyof typeof WECHAT_ERRCODES;
export type AppErrorCode = keyof typeof APP_ERRORS;
/** Every way a sign-in can fail, as the error page names it (`/login/error?reason=<code>`). */
export type LoginErrorCode = WechatErrcode | AppErrorCode;

/** Refusals of the follow-to-login ticket API. */
export type TicketErrorCode = "not_found" | "expired" | "wrong_browser" | "not_confirmed" | "already_redeemed" | "already_scanned" | "cancelled";

/** Refusals of a request as such, before any sign-in logic runs. */
export type RequestErrorCode = "invalid_request" | "cross_origin" | "rate_limited";

export type ErrorCode = LoginErrorCode | TicketErrorCode | RequestErrorCode;

export const KNOWN_WECHAT_ERRCODES = Object.keys(WECHAT_ERRCODES) as WechatErrcode[];
export const APP_ERROR_CODES = Object.keys(APP_ERRORS) as AppErrorCode[];

export function isLoginErrorCode(value: string): value is LoginErrorCode {
  return Object.hasOwn(WECHAT_ERRCODES, value) || Object.hasOwn(APP_ERRORS, value);
}

/** The one errcode → code mapping: a known errcode keeps its identity; unknown ones get a generic message. */
export function loginErrorForErrcode(errcode: number): LoginErrorCode {
  const key = String(errcode);
  return Object.hasOwn(WECHAT_ERRCODES, key) ? (key as WechatErrcode) : "unknown_errcode";
}

export type LoginErrorDescription = { message: `error.${LoginErrorCode}`; next: NextStep };

/** What the error page shows for `code`: its message key (translate it in the visitor's language) and the next step. */
export function describeLoginError(code: LoginErrorCode): LoginErrorDescription {
  const next = Object.hasOwn(WECHAT_ERRCODES, code) ? WECHAT_ERRCODES[code as WechatErrcode] : APP_ERRORS[code as AppErrorCode];
  return { message: `error.${code}`, next };
}

export class AppError extends Error {
  override name = "AppError";
  readonly retryAfterSeconds: number | undefined;
  readonly detail: Record<string, unknown> | undefined;
  /**
   * The sign-in attempt this error ended (set as it leaves `withAttempt`): the error page shows it as
   * the reference a person quotes to support, who open it in the console. Never a bearer value.
   */
  attemptId: string | undefined;

  constructor(
    readonly code: ErrorCode,
    options: { retryAfterSeconds?: number; detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.detail = options.detail;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}

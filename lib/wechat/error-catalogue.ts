/**
 * Every way a WeChat sign-in can fail, and the next step the user should take. WeChat errcodes
 * come from api.weixin.qq.com (HTTP 200 + errcode); the named codes are ours (state checks,
 * network, cancel). Each code's message, in both languages, is `error.<code>` in lib/i18n.
 *
 * @see docs/wechat-protocol.md §A5
 */
import type { MessageKey } from "@/lib/i18n/messages";

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
  "40125": "contact_site",
  "40163": "scan_again",
  "40164": "contact_site",
  "41001": "contact_site",
  "41002": "contact_site",
  "41003": "contact_site",
  "41004": "contact_site",
  "41008": "scan_again",
  "41009": "contact_site",
  "42001": "scan_again",
  "42002": "scan_again",
  "42003": "scan_again",
  "42007": "scan_again",
  "45009": "retry_later",
  "45011": "retry_later",
  "48001": "contact_site",
  "50001": "scan_again",
  "50002": "contact_site",
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
  unknown_errcode: "contact_site",
  server_error: "retry_later",
} as const satisfies Record<string, NextStep>;

export type WechatErrcode = keyof typeof WECHAT_ERRCODES;
export type AppErrorCode = keyof typeof APP_ERRORS;
export type LoginErrorCode = WechatErrcode | AppErrorCode;

/** The message key of a code; a code without a message in the catalogue does not compile. */
export type LoginErrorMessageKey = `error.${LoginErrorCode}` & MessageKey;

export type LoginErrorDescription = { message: LoginErrorMessageKey; next: NextStep };

export const KNOWN_WECHAT_ERRCODES = Object.keys(WECHAT_ERRCODES) as WechatErrcode[];
export const APP_ERROR_CODES = Object.keys(APP_ERRORS) as AppErrorCode[];

export function isLoginErrorCode(value: string): value is LoginErrorCode {
  return Object.hasOwn(WECHAT_ERRCODES, value) || Object.hasOwn(APP_ERRORS, value);
}

/** The login error code for a WeChat errcode; unknown ones fall back to a generic message. */
export function loginErrorForErrcode(errcode: number): LoginErrorCode {
  const key = String(errcode);
  return Object.hasOwn(WECHAT_ERRCODES, key) ? (key as WechatErrcode) : "unknown_errcode";
}

/** What the error page shows for `code`: its message (translate it in the visitor's language) and the next step. */
export function describeLoginError(code: LoginErrorCode): LoginErrorDescription {
  const next = Object.hasOwn(WECHAT_ERRCODES, code) ? WECHAT_ERRCODES[code as WechatErrcode] : APP_ERRORS[code as AppErrorCode];
  return { message: `error.${code}`, next };
}

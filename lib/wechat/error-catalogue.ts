/**
 * Every way a WeChat sign-in can fail, with its message in both languages and the next step
 * the user should take. WeChat errcodes come from api.weixin.qq.com (HTTP 200 + errcode);
 * the named codes are ours (state checks, network, cancel).
 *
 * @see docs/wechat-protocol.md §A5
 */

/** What the error page offers: scan again, try later, start over, or contact the site. */
export type NextStep = "scan_again" | "retry_later" | "start_again" | "contact_site";

export type CatalogueEntry = { zh: string; en: string; next: NextStep };

const WECHAT_ERRCODES = {
  "-1": { zh: "微信系统繁忙，请稍后重新扫码。", en: "WeChat is busy right now. Please scan again in a moment.", next: "retry_later" },
  "40001": { zh: "本网站的微信登录凭证无效，请联系网站管理员。", en: "This site's WeChat credentials are invalid. Please contact the site.", next: "contact_site" },
  "40002": { zh: "本网站的微信登录请求格式有误，请联系网站管理员。", en: "This site sent WeChat a malformed request. Please contact the site.", next: "contact_site" },
  "40003": { zh: "微信账号标识无效，请重新扫码。", en: "WeChat did not recognise this account. Please scan again.", next: "scan_again" },
  "40013": { zh: "本网站的微信 AppID 无效，请联系网站管理员。", en: "This site's WeChat AppID is invalid. Please contact the site.", next: "contact_site" },
  "40014": { zh: "微信授权已失效，请重新扫码。", en: "The WeChat authorization is no longer valid. Please scan again.", next: "scan_again" },
  "40029": { zh: "登录码无效或已过期，请重新扫码。", en: "The login code is invalid or has expired. Please scan again.", next: "scan_again" },
  "40030": { zh: "微信授权已失效，请重新扫码。", en: "The WeChat authorization has lapsed. Please scan again.", next: "scan_again" },
  "40125": { zh: "本网站的微信 AppSecret 无效，请联系网站管理员。", en: "This site's WeChat AppSecret is invalid. Please contact the site.", next: "contact_site" },
  "40163": { zh: "这个登录码已经用过了，请重新扫码。", en: "This login code has already been used. Please scan again.", next: "scan_again" },
  "40164": { zh: "本网站的服务器 IP 不在微信白名单中，请联系网站管理员。", en: "This site's server IP is not on WeChat's allow-list. Please contact the site.", next: "contact_site" },
  "41001": { zh: "本网站的微信请求缺少访问令牌，请联系网站管理员。", en: "This site's WeChat request lacks an access token. Please contact the site.", next: "contact_site" },
  "41002": { zh: "本网站的微信请求缺少 AppID，请联系网站管理员。", en: "This site's WeChat request lacks an AppID. Please contact the site.", next: "contact_site" },
  "41003": { zh: "本网站的微信请求缺少刷新令牌，请联系网站管理员。", en: "This site's WeChat request lacks a refresh token. Please contact the site.", next: "contact_site" },
  "41004": { zh: "本网站的微信请求缺少 AppSecret，请联系网站管理员。", en: "This site's WeChat request lacks an AppSecret. Please contact the site.", next: "contact_site" },
  "41008": { zh: "微信没有返回登录码，请重新扫码。", en: "WeChat sent no login code. Please scan again.", next: "scan_again" },
  "41009": { zh: "本网站的微信请求缺少 openid，请联系网站管理员。", en: "This site's WeChat request lacks an openid. Please contact the site.", next: "contact_site" },
  "42001": { zh: "微信授权已过期，请重新扫码。", en: "The WeChat authorization has expired. Please scan again.", next: "scan_again" },
  "42002": { zh: "微信授权已超过 30 天，请重新扫码授权。", en: "The WeChat authorization is older than 30 days. Please scan again.", next: "scan_again" },
  "42003": { zh: "登录码已过期，请重新扫码。", en: "The login code has expired. Please scan again.", next: "scan_again" },
  "42007": { zh: "你的微信授权已被撤销（例如修改了密码），请重新扫码。", en: "Your WeChat authorization was revoked (for example after a password change). Please scan again.", next: "scan_again" },
  "45009": { zh: "本网站今天的微信接口调用次数已用完，请稍后再试或联系网站管理员。", en: "This site has used up today's WeChat quota. Please try later or contact the site.", next: "retry_later" },
  "45011": { zh: "登录请求过于频繁，请一分钟后重试。", en: "Too many sign-ins right now. Please try again in a minute.", next: "retry_later" },
  "48001": { zh: "本网站没有该微信接口的权限，请联系网站管理员。", en: "This site lacks permission for this WeChat API. Please contact the site.", next: "contact_site" },
  "50001": { zh: "你没有授权本网站获取你的微信信息，请重新扫码并同意授权。", en: "You did not authorise this site to read your WeChat profile. Please scan again and allow it.", next: "scan_again" },
  "50002": { zh: "你的微信账号受到限制，暂时无法登录。请在微信中处理后再试。", en: "Your WeChat account is restricted and cannot sign in right now. Resolve it in WeChat, then try again.", next: "contact_site" },
} as const satisfies Record<string, CatalogueEntry>;

const APP_ERRORS = {
  cancelled: { zh: "你已取消此次登录，请重新扫码。", en: "You cancelled the login. Scan again to sign in.", next: "scan_again" },
  state_missing: { zh: "登录请求缺少安全校验参数，请从登录页重新开始。", en: "The sign-in request lacks its security check. Please start again from the login page.", next: "start_again" },
  state_invalid: { zh: "无法验证这个登录请求（可能被篡改），请从登录页重新开始。", en: "This sign-in request could not be verified (it may have been tampered with). Please start again from the login page.", next: "start_again" },
  state_expired: { zh: "登录请求已过期，请重新开始。", en: "The sign-in request has expired. Please start again.", next: "start_again" },
  state_used: { zh: "这个登录请求已经处理过了，请重新开始。", en: "This sign-in request was already handled. Please start again.", next: "start_again" },
  state_wrong_browser: {
    zh: "这个登录请求是在另一个浏览器中发起的，为保护你的账号已拒绝。请在当前浏览器中重新开始。",
    en: "This sign-in was started in another browser and has been refused to protect your account. Please start again in this browser.",
    next: "start_again",
  },
  code_missing: { zh: "微信没有返回登录码，请重新扫码。", en: "WeChat sent no login code. Please scan again.", next: "scan_again" },
  timeout: { zh: "连接微信超时，请稍后重试。", en: "WeChat did not answer in time. Please try again shortly.", next: "retry_later" },
  upstream_unavailable: { zh: "微信服务暂时不可用，请稍后重试。", en: "WeChat is unavailable right now. Please try again shortly.", next: "retry_later" },
  malformed_response: { zh: "微信返回了无法识别的数据，请稍后重试。", en: "WeChat sent a reply we could not read. Please try again shortly.", next: "retry_later" },
  snapshot_user: {
    zh: "当前是微信快照页的临时身份，无法登录。请点击页面底部的「使用完整服务」后再试。",
    en: "This is a WeChat snapshot (preview) identity and cannot sign in. Tap “使用完整服务” (use full service) at the bottom of the page, then try again.",
    next: "start_again",
  },
  unknown_app: { zh: "未知的微信应用，请从登录页重新开始。", en: "Unknown WeChat app. Please start again from the login page.", next: "start_again" },
  unknown_errcode: { zh: "微信返回了错误，请稍后重试；如果一直出现，请联系网站管理员。", en: "WeChat returned an error. Please try again; if it keeps happening, contact the site.", next: "contact_site" },
  server_error: { zh: "服务器出错了，请稍后重试。", en: "Something went wrong on our side. Please try again shortly.", next: "retry_later" },
} as const satisfies Record<string, CatalogueEntry>;

export type WechatErrcode = keyof typeof WECHAT_ERRCODES;
export type AppErrorCode = keyof typeof APP_ERRORS;
export type LoginErrorCode = WechatErrcode | AppErrorCode;

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

export function describeLoginError(code: LoginErrorCode): CatalogueEntry {
  return Object.hasOwn(WECHAT_ERRCODES, code) ? WECHAT_ERRCODES[code as WechatErrcode] : APP_ERRORS[code as AppErrorCode];
}

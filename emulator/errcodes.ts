/**
 * errmsg prefixes api.weixin.qq.com sends for each errcode (docs/wechat-protocol.md §A5). The real server appends
 * ", rid: <8hex>-<8hex>-<8hex>"; clients must match on errcode only, so texts marked UNCONFIRMED there are
 * best guesses.
 */
export const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: "system error",
  0: "ok",
  40001: "invalid credential, access_token is invalid or not latest",
  40002: "invalid grant_type",
  40003: "invalid openid",
  40013: "invalid appid",
  40014: "invalid access_token",
  40029: "invalid code",
  40030: "invalid refresh_token",
  40052: "invalid action name",
  40053: "invalid action info",
  40097: "invalid args",
  40125: "invalid appsecret",
  40129: "invalid scene",
  40163: "code been used",
  40164: "invalid ip, not in whitelist",
  40165: "invalid weapp pagepath",
  40169: "invalid length for scene, or the data is not json string",
  40212: "invalid query",
  40226: "code blocked",
  41001: "access_token missing",
  41002: "appid missing",
  41003: "refresh_token missing",
  41004: "appsecret missing",
  41008: "missing code",
  41009: "missing openid",
  41030: "invalid page",
  42001: "access_token expired",
  42002: "refresh_token expired",
  42003: "code expired",
  42007: "access_token and refresh_token exception",
  43002: "require POST method",
  44002: "empty post data",
  45009: "reach max api daily quota limit",
  45011: "api minute-quota reach limit, must slower, retry next minute",
  47001: "data format error",
  48001: "api unauthorized",
  50001: "user unauthorized",
  50002: "user limited",
  // quota/get and rid/get (§I); texts UNCONFIRMED except 76021/76022, captured with their odd punctuation.
  76001: "rid not found",
  76002: "rid is error",
  76003: "could not query this rid,no permission",
  76004: "rid time is error",
  76021: "cgi_path not found, please check",
  76022: "could not use this cgi_path，no permission",
  85079: "miniprogram has no online release",
  // Captured under the old one-year rule; today's bound is 30 days and its text is UNCONFIRMED.
  85401: "time limit between 1min and 30days",
};

/** The errmsg prefix for an errcode; codes outside the table get a generic text. */
export function getErrmsg(errcode: number): string {
  return ERRMSG[errcode] ?? "system error";
}

/**
 * Builds the URL WeChat sends the browser to after the QR page finishes: `redirect_uri?code=…&state=…`, or
 * `&code=…` when redirect_uri already has a query. A refusal carries `state` only. WeChat appends at the
 * very end, so a hash-routed redirect_uri gets the parameters inside its fragment (a known pitfall).
 * The QR page script repeats this logic in the browser; keep the two in step.
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
 */
export function buildCallbackUrl(redirectUri: string, params: { code?: string; state: string }): string {
  const codePart = params.code === undefined ? "" : `code=${encodeURIComponent(params.code)}&`;
  return `${redirectUri}${redirectUri.includes("?") ? "&" : "?"}${codePart}state=${encodeURIComponent(params.state)}`;
}

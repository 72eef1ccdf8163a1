/**
 * Which kind of browser a visitor uses, from the User-Agent:
 * - `wechat_mobile`: WeChat's in-app browser on a phone. No QR (you cannot scan your own screen):
 *   sign in through the Official Account's web authorization.
 * - `wechat_desktop`: WeChat for Windows/Mac's built-in browser. Web authorization works there too,
 *   and the QR stays available for a phone.
 * - `mobile`: another phone browser. WeChat's authorization only works inside WeChat, so the page
 *   says "open in WeChat" and still offers the QR for scanning from a second device.
 * - `desktop`: everything else, the QR.
 * WeCom (企业微信, `wxwork`) also says MicroMessenger but is not WeChat.
 */
export type BrowserKind = "wechat_mobile" | "wechat_desktop" | "mobile" | "desktop";

export function classifyBrowser(userAgent: string | null | undefined): BrowserKind {
  const ua = userAgent ?? "";
  const isWechat = /MicroMessenger/i.test(ua) && !/wxwork/i.test(ua);
  if (isWechat) return /WindowsWechat|MacWechat/i.test(ua) ? "wechat_desktop" : "wechat_mobile";
  return /Mobile|Android|iPhone|iPad|HarmonyOS/i.test(ua) ? "mobile" : "desktop";
}

/**
 * The stock `next-auth/providers/wechat` (platformType WebsiteApp), pointed at the configured
 * WeChat base URLs. It is registered only with WECHAT_STOCK_PROVIDER=1, so the benchmark can
 * measure our flow against it in one app; it is not used for sign-in otherwise because it
 * keys users on `profile.unionid` (undefined for users without one), cannot serve the embedded
 * QR (Auth.js mints `state` only on its own redirect), sends the code exchange as a POST with
 * HTTP Basic credentials rather than WeChat's documented GET, and turns every errcode into a
 * generic OAuthCallbackError.
 */
import "server-only";
import WeChat from "next-auth/providers/wechat";
import { getEnv } from "@/lib/env";

export const STOCK_PROVIDER_ID = "wechat-stock";

export function stockWechatProvider() {
  const env = getEnv();
  const app = env.wechat.apps[0]!;
  const base = WeChat({ clientId: app.appId, clientSecret: app.secret, platformType: "WebsiteApp" });
  const authorization = typeof base.authorization === "object" ? base.authorization : {};
  const token = typeof base.token === "object" ? base.token : {};
  const userinfo = typeof base.userinfo === "object" ? base.userinfo : {};
  return {
    ...base,
    id: STOCK_PROVIDER_ID,
    name: "WeChat (stock Auth.js provider)",
    authorization: { ...authorization, url: `${env.wechat.openBaseUrl}/connect/qrconnect` },
    token: { ...token, url: `${env.wechat.apiBaseUrl}/sns/oauth2/access_token` },
    userinfo: { ...userinfo, url: `${env.wechat.apiBaseUrl}/sns/userinfo` },
  };
}

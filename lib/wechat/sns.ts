/**
 * The user-level OAuth calls shared by the website app and the Official Account's web
 * authorization: the code exchange and the profile.
 *
 * @see docs/wechat-protocol.md §A3, §A4
 */
import "server-only";
import { callWechatApi } from "./api-client";
import { snsTokenSchema, snsUserinfoSchema, type SnsToken, type SnsUserinfo } from "./schemas";

export type AppCredentials = { appId: string; secret: string };

/** Spends a one-time code (WeChat's documented GET; the code lives 10 minutes and works once). */
export async function exchangeCode(app: AppCredentials, code: string): Promise<SnsToken> {
  return callWechatApi("/sns/oauth2/access_token", { appid: app.appId, secret: app.secret, code, grant_type: "authorization_code" }, snsTokenSchema);
}

/** The profile behind a user access token (`snsapi_login` or `snsapi_userinfo`). */
export async function fetchUserinfo(token: SnsToken): Promise<SnsUserinfo> {
  return callWechatApi("/sns/userinfo", { access_token: token.access_token, openid: token.openid, lang: "zh_CN" }, snsUserinfoSchema);
}

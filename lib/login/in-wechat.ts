/**
 * Surface: sign-in inside WeChat's browser through the Official Account's web authorization.
 * `snsapi_base` is silent and enough for a person we know; for anyone else the callback
 * escalates to `snsapi_userinfo`, which asks for consent and gives the profile.
 *
 * @see docs/wechat-protocol.md §B1
 */
import "server-only";
import { findUserIdByIdentity } from "@/lib/db/people";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import type { AppCredentials } from "@/lib/wechat/sns";
import type { SnsToken } from "@/lib/wechat/schemas";
import { recordStep } from "./attempt";
import { CALLBACK_PATH, startOAuthAttempt, type OAuthSurface } from "./oauth-attempt";
import { safeReturnTo } from "./landing";
import { websiteQrSurface } from "./website-qr";

export type OfficialAccountScope = "snsapi_base" | "snsapi_userinfo";

function officialAccountCredentials(appId: string): AppCredentials | undefined {
  const account = getEnv().wechat.officialAccount;
  return account?.appId === appId ? account : undefined;
}

/**
 * The Official Account's `oauth2/authorize` URL for a new state. The state is our usual one (32
 * alphanumerics: WeChat allows at most 128 of [A-Za-z0-9]) and the parameters go in the order
 * WeChat checks, ending with `#wechat_redirect`.
 */
export async function beginInWechatLogin(input: {
  scope: OfficialAccountScope;
  returnTo?: string | null | undefined;
  bindingHash: string;
  ip: string | null;
  userAgent?: string | null | undefined;
  origin: string;
}): Promise<{ authorizeUrl: string }> {
  const env = getEnv();
  const account = env.wechat.officialAccount;
  if (!account) throw new AppError("unknown_app");
  const { state, attempt, continued } = await startOAuthAttempt({
    appId: account.appId,
    mode: input.scope === "snsapi_base" ? "oa_base" : "oa_userinfo",
    returnTo: safeReturnTo(input.returnTo),
    bindingHash: input.bindingHash,
    ip: input.ip,
    userAgent: input.userAgent ?? null,
  });
  const query = new URLSearchParams({
    appid: account.appId,
    redirect_uri: `${input.origin}${CALLBACK_PATH}`,
    response_type: "code",
    scope: input.scope,
    state,
  });
  // A continued attempt was shown already, by its silent start.
  if (!continued) recordStep(attempt, "shown");
  return { authorizeUrl: `${env.wechat.openBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect` };
}

/** `snsapi_base`: an openid only. A known identity signs in; a new one needs consent. */
export const inWechatSilentSurface: OAuthSurface = {
  method: "wechat:in-app",
  credentials: officialAccountCredentials,
  async identify(token: SnsToken, app: AppCredentials) {
    if (!(await findUserIdByIdentity(app.appId, token.openid))) return { kind: "escalate" };
    const tokens = { accessToken: token.access_token, refreshToken: token.refresh_token, expiresIn: token.expires_in, scope: token.scope };
    return { kind: "person", person: { appId: app.appId, openid: token.openid, unionid: token.unionid, tokens } };
  },
};

/** `snsapi_userinfo`: the profile, read as on the website app. */
export const inWechatConsentSurface: OAuthSurface = {
  method: "wechat:in-app",
  credentials: officialAccountCredentials,
  identify: websiteQrSurface.identify,
};

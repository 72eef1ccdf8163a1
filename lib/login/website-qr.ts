/**
 * Surface: the website app's QR (Open Platform, `snsapi_login`) in both of WeChat's forms, the
 * full-page QR (`qrconnect` redirect) and the QR embedded in our page (`wxLogin.js`).
 *
 * @see docs/wechat-protocol.md §A1–A4
 */
import "server-only";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import type { Locale } from "@/lib/i18n/messages";
import { findWechatApp, findWechatAppById } from "@/lib/wechat/apps";
import { fetchUserinfo } from "@/lib/wechat/sns";
import { safeReturnTo } from "./landing";
import { recordStep } from "./attempt";
import { CALLBACK_PATH, startOAuthAttempt, type OAuthSurface } from "./oauth-attempt";

export type WebsiteQrForm = "embedded" | "redirect";

export type BeginInput = {
  appKey?: string | null | undefined;
  form: WebsiteQrForm;
  returnTo?: string | null | undefined;
  bindingHash: string;
  ip: string | null;
  userAgent?: string | null | undefined;
  /** Our public origin, e.g. https://example.com (lib/http.ts `publicOrigin`). */
  origin: string;
  selfRedirect?: boolean | undefined;
  lang?: Locale | undefined;
};

export type BeginResult = {
  state: string;
  expiresAt: string;
  qrTtlSeconds: number;
  appId: string;
  redirectUri: string;
  /** WeChat's full-page QR URL (redirect form). */
  qrconnectUrl: string;
  /** Options for `new WxLogin(...)` (embedded form); redirect_uri is pre-encoded as the script requires. */
  wxLogin: { appid: string; scope: "snsapi_login"; redirect_uri: string; state: string; self_redirect: boolean; lang?: "en" };
  wxLoginJsUrl: string;
};

/** Mints a browser-bound state and the two ways to show WeChat's QR for it. */
export async function beginWebsiteLogin(input: BeginInput): Promise<BeginResult> {
  const env = getEnv();
  const app = findWechatApp(input.appKey);
  if (!app) throw new AppError("unknown_app");
  const { state, expiresAt, attempt } = await startOAuthAttempt({
    appId: app.appId,
    mode: input.form,
    returnTo: safeReturnTo(input.returnTo),
    bindingHash: input.bindingHash,
    ip: input.ip,
    userAgent: input.userAgent ?? null,
  });
  const redirectUri = `${input.origin}${CALLBACK_PATH}`;
  const qrconnect = new URL(`${env.wechat.openBaseUrl}/connect/qrconnect`);
  // WeChat's documented parameter order; the fragment never reaches WeChat's server.
  qrconnect.search = new URLSearchParams({ appid: app.appId, redirect_uri: redirectUri, response_type: "code", scope: "snsapi_login", state }).toString();
  if (input.lang === "en") qrconnect.searchParams.set("lang", "en");
  qrconnect.hash = "wechat_redirect";
  // WeChat draws the QR itself: handing out its URL (or wxLogin.js options) is as far as we see.
  recordStep(attempt, "shown");
  return {
    state,
    expiresAt: expiresAt.toISOString(),
    qrTtlSeconds: env.wechat.qrTtlSeconds,
    appId: app.appId,
    redirectUri,
    qrconnectUrl: qrconnect.toString(),
    wxLogin: {
      appid: app.appId,
      scope: "snsapi_login",
      redirect_uri: encodeURIComponent(redirectUri),
      state,
      self_redirect: input.selfRedirect ?? false,
      ...(input.lang === "en" ? { lang: "en" as const } : {}),
    },
    wxLoginJsUrl: env.wechat.wxLoginJsUrl,
  };
}

export const websiteQrSurface: OAuthSurface = {
  method: "wechat:website",
  credentials: (appId) => findWechatAppById(appId),
  async identify(token, app) {
    const profile = await fetchUserinfo(token);
    if (profile.openid !== token.openid) throw new AppError("malformed_response", { detail: { step: "userinfo" } });
    return {
      kind: "person",
      person: {
        appId: app.appId,
        openid: token.openid,
        unionid: token.unionid ?? profile.unionid,
        nickname: profile.nickname,
        avatarUrl: profile.headimgurl,
        tokens: { accessToken: token.access_token, refreshToken: token.refresh_token, expiresIn: token.expires_in, scope: token.scope },
      },
    };
  },
};

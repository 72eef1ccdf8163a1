/**
 * WeChat's OAuth sign-ins: the website app (Open Platform, `snsapi_login`) in both of WeChat's
 * forms, the full-page QR (`qrconnect` redirect) and the QR embedded in our page (`wxLogin.js`);
 * and, on the same callback, the Official Account's web authorization inside WeChat's browser
 * (`snsapi_base`, escalating to `snsapi_userinfo` for a user we don't know yet).
 *
 * Unlike the stock Auth.js provider, the `state` is minted here for both forms (the embedded
 * iframe needs it before any redirect), stored hashed, bound to the browser by an HttpOnly
 * cookie, and claimed before the code is spent. The code is exchanged with the documented GET,
 * every errcode keeps its identity up to the error page, and a duplicate callback of a login
 * that already succeeded signs the user in instead of showing WeChat's 40163.
 *
 * @see docs/wechat-protocol.md §A1–A4
 */
import "server-only";
import { SESSION_MAX_AGE_SECONDS } from "@/lib/auth/cookies";
import { landingAfterSignIn } from "@/lib/bind/codes";
import { safeReturnTo } from "@/lib/auth/return-to";
import { randomToken, sha256 } from "@/lib/crypto";
import { claimLoginState, createLoginState, findLoginState, recordLoginOutcome, type LoginMode } from "@/lib/db/login-states";
import { createSessionForUser, findUserIdByIdentity, signInWithWechat, type WechatSignIn } from "@/lib/db/wechat-users";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { callWechatApi, WechatApiError, WechatTransportError } from "./api-client";
import { findWechatApp, findWechatAppById } from "./apps";

/** Credentials for the app a state was minted for: a website app or the Official Account. */
function findAppCredentials(appId: string): { appId: string; secret: string } | undefined {
  const account = getEnv().wechat.officialAccount;
  if (account?.appId === appId) return account;
  return findWechatAppById(appId);
}
import { isLoginErrorCode, loginErrorForErrcode, type LoginErrorCode } from "./error-catalogue";
import { snsTokenSchema, snsUserinfoSchema } from "./schemas";

export const CALLBACK_PATH = "/api/wechat/callback";
/** A state outlives several QR refreshes on WeChat's page and the 10-minute code. */
const STATE_TTL_SECONDS = 30 * 60;
/** How long a duplicate callback waits for the first one to finish. */
const IN_FLIGHT_WAIT_MS = 10_000;
/** A duplicate may open a new session only this soon after the first (a lost answer, a double click). */
const DUPLICATE_SESSION_WINDOW_MS = 120_000;

export type BeginInput = {
  appKey?: string | null;
  mode: LoginMode;
  returnTo?: string | null;
  /** The browser's binding cookie, if it has one already. */
  binding?: string | undefined;
  /** Our public origin, e.g. https://example.com (from AUTH_URL or the request). */
  origin: string;
  selfRedirect?: boolean;
  lang?: "zh-CN" | "en";
};

export type BeginResult = {
  state: string;
  expiresAt: string;
  qrTtlSeconds: number;
  appId: string;
  redirectUri: string;
  /** WeChat's full-page QR URL (redirect mode). */
  qrconnectUrl: string;
  /** Options for `new WxLogin(...)` (embedded mode); redirect_uri is pre-encoded as the script requires. */
  wxLogin: { appid: string; scope: "snsapi_login"; redirect_uri: string; state: string; self_redirect: boolean; lang?: "en" };
  wxLoginJsUrl: string;
  /** A new binding cookie value to set when the browser had none. */
  newBinding?: string;
};

export class BeginError extends Error {
  constructor(readonly code: LoginErrorCode) {
    super(code);
  }
}

export async function beginWebsiteLogin(input: BeginInput): Promise<BeginResult> {
  const env = getEnv();
  const app = findWechatApp(input.appKey);
  if (!app) throw new BeginError("unknown_app");
  const binding = input.binding && /^[A-Za-z0-9_-]{43}$/.test(input.binding) ? input.binding : undefined;
  const newBinding = binding ? undefined : randomToken(32);
  const { state, expiresAt } = await createLoginState({
    appId: app.appId,
    mode: input.mode,
    returnTo: safeReturnTo(input.returnTo),
    bindingHash: sha256((binding ?? newBinding)!),
    ttlSeconds: STATE_TTL_SECONDS,
  });
  const redirectUri = `${input.origin}${CALLBACK_PATH}`;
  const qrconnect = new URL(`${env.wechat.openBaseUrl}/connect/qrconnect`);
  // WeChat's documented parameter order; the fragment never reaches WeChat's server.
  qrconnect.search = new URLSearchParams({ appid: app.appId, redirect_uri: redirectUri, response_type: "code", scope: "snsapi_login", state }).toString();
  if (input.lang === "en") qrconnect.searchParams.set("lang", "en");
  qrconnect.hash = "wechat_redirect";
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
    ...(newBinding ? { newBinding } : {}),
  };
}

export type OfficialAccountScope = "snsapi_base" | "snsapi_userinfo";

/**
 * Starts sign-in inside WeChat's browser through the Official Account's web authorization.
 * The state is our usual one (32 alphanumerics: WeChat allows at most 128 of [A-Za-z0-9]) and the
 * parameters go in the order WeChat checks, ending with `#wechat_redirect`.
 *
 * @see docs/wechat-protocol.md §B1
 */
export async function beginOfficialAccountLogin(input: {
  scope: OfficialAccountScope;
  returnTo?: string | null;
  binding: string;
  origin: string;
}): Promise<{ authorizeUrl: string }> {
  const env = getEnv();
  const account = env.wechat.officialAccount;
  if (!account) throw new BeginError("unknown_app");
  const { state } = await createLoginState({
    appId: account.appId,
    mode: input.scope === "snsapi_base" ? "oa_base" : "oa_userinfo",
    returnTo: safeReturnTo(input.returnTo),
    bindingHash: sha256(input.binding),
    ttlSeconds: STATE_TTL_SECONDS,
  });
  const query = new URLSearchParams({ appid: account.appId, redirect_uri: `${input.origin}${CALLBACK_PATH}`, response_type: "code", scope: input.scope, state });
  return { authorizeUrl: `${env.wechat.openBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect` };
}

export type CallbackInput = {
  code: string | undefined;
  state: string | undefined;
  binding: string | undefined;
  /** The Auth.js user of this browser, if it is signed in already. */
  currentUserId: string | undefined;
  /** This browser's session cookie, if any: a new sign-in ends that session. */
  previousSessionToken?: string | undefined;
  userAgent: string | null;
  ip: string | null;
};

export type CallbackOutcome =
  | { kind: "signed_in"; returnTo: string; session?: { token: string; expires: Date } }
  /** The silent scope met an unknown user: start again with the consent scope. */
  | { kind: "escalate"; scope: "snsapi_userinfo"; returnTo: string }
  | { kind: "error"; code: LoginErrorCode; returnTo?: string };

const OUTCOME_SUCCESS = "success";

export async function completeWebsiteLogin(input: CallbackInput): Promise<CallbackOutcome> {
  if (!input.state) return { kind: "error", code: "state_missing" };
  const bindingHash = input.binding ? sha256(input.binding) : undefined;
  const codeHash = input.code ? sha256(input.code) : null;
  const claim = await claimLoginState(input.state, bindingHash, codeHash);
  switch (claim.kind) {
    case "unknown":
      logger.warn("wechat.callback.state_unknown");
      return { kind: "error", code: "state_invalid" };
    case "wrong_browser":
      // The binding is rotated at each sign-in, so WeChat re-delivering the callback of the login
      // that just succeeded arrives with the new cookie: that browser is signed in, send it on.
      if (input.currentUserId && claim.row.outcome === OUTCOME_SUCCESS && claim.row.userId === input.currentUserId) {
        return { kind: "signed_in", returnTo: claim.row.returnTo };
      }
      logger.warn("wechat.callback.state_wrong_browser", { appId: claim.row.appId });
      return { kind: "error", code: "state_wrong_browser" };
    case "expired":
      return { kind: "error", code: "state_expired", returnTo: claim.row.returnTo };
    case "already_used":
      return resolveDuplicate(claim.row.id, codeHash, input);
    case "claimed":
      break;
  }
  const row = claim.row;
  const fail = async (code: LoginErrorCode): Promise<CallbackOutcome> => {
    await recordLoginOutcome(row.id, `error:${code}`);
    return { kind: "error", code, returnTo: row.returnTo };
  };

  // WeChat's documented refusal: a redirect with the state and no code.
  if (!input.code) return fail("cancelled");
  const app = findAppCredentials(row.appId);
  if (!app) return fail("unknown_app");
  const isOfficialAccount = row.mode === "oa_base" || row.mode === "oa_userinfo";

  try {
    const token = await callWechatApi(
      "/sns/oauth2/access_token",
      { appid: app.appId, secret: app.secret, code: input.code, grant_type: "authorization_code" },
      snsTokenSchema,
    );
    // Identities from WeChat's snapshot page are virtual: never an account, never a merge.
    if (token.is_snapshotuser === 1) return fail("snapshot_user");
    const tokens = { accessToken: token.access_token, refreshToken: token.refresh_token, expiresIn: token.expires_in, scope: token.scope };
    let signIn: WechatSignIn;
    if (row.mode === "oa_base") {
      // The silent scope gives an openid only. A known identity signs in; a new one needs consent.
      if (!(await findUserIdByIdentity(app.appId, token.openid))) {
        await recordLoginOutcome(row.id, "escalated");
        return { kind: "escalate", scope: "snsapi_userinfo", returnTo: row.returnTo };
      }
      signIn = { appId: app.appId, openid: token.openid, unionid: token.unionid, tokens };
    } else {
      const profile = await callWechatApi("/sns/userinfo", { access_token: token.access_token, openid: token.openid, lang: "zh_CN" }, snsUserinfoSchema);
      if (profile.openid !== token.openid) return fail("malformed_response");
      signIn = { appId: app.appId, openid: token.openid, unionid: token.unionid ?? profile.unionid, nickname: profile.nickname, avatarUrl: profile.headimgurl, tokens };
    }
    const result = await signInWithWechat(
      signIn,
      {
        userAgent: input.userAgent,
        ip: input.ip,
        method: isOfficialAccount ? "wechat:in-app" : "wechat:website",
        maxAgeSeconds: SESSION_MAX_AGE_SECONDS,
        previousSessionToken: input.previousSessionToken,
      },
      async (tx, userId) => {
        await tx.wechatLoginState.update({ where: { id: row.id }, data: { outcome: OUTCOME_SUCCESS, userId } });
      },
    );
    logger.info("wechat.login.success", { appId: app.appId, userId: result.userId, createdUser: result.createdUser, mode: row.mode });
    return { kind: "signed_in", returnTo: await landingAfterSignIn(result.userId, row.returnTo), session: { token: result.sessionToken, expires: result.expires } };
  } catch (error) {
    if (error instanceof WechatApiError) {
      // A used code with a signed-in browser is a re-delivered callback, not a failure.
      if (error.errcode === 40163 && input.currentUserId) {
        await recordLoginOutcome(row.id, "error:40163");
        return { kind: "signed_in", returnTo: row.returnTo };
      }
      return fail(loginErrorForErrcode(error.errcode));
    }
    if (error instanceof WechatTransportError) {
      return fail(error.kind === "timeout" ? "timeout" : error.kind === "malformed" ? "malformed_response" : "upstream_unavailable");
    }
    logger.error("wechat.callback.unexpected", { error: error instanceof Error ? error.message : String(error) });
    return fail("server_error");
  }
}

/**
 * A second callback for a state this browser already used: WeChat re-redirecting, a double
 * click, or a prefetch. If the first succeeded the user is signed in (with a fresh session if
 * the first answer never reached the browser); a signed-in user never sees WeChat's 40163.
 */
async function resolveDuplicate(id: string, codeHash: string | null, input: CallbackInput): Promise<CallbackOutcome> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  let row = await findLoginState(id);
  while (row && row.outcome === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    row = await findLoginState(id);
  }
  if (!row) return { kind: "error", code: "state_invalid" };
  // Signed in already (as this user or, oddly, another): send on, never switch accounts here.
  if (input.currentUserId) return { kind: "signed_in", returnTo: row.returnTo };
  if (row.outcome === OUTCOME_SUCCESS && row.userId) {
    const isRecent = row.consumedAt !== null && Date.now() - row.consumedAt.getTime() < DUPLICATE_SESSION_WINDOW_MS;
    if (codeHash && row.codeHash === codeHash && isRecent) {
      const session = await createSessionForUser(row.userId, {
        userAgent: input.userAgent,
        ip: input.ip,
        method: "wechat:website",
        maxAgeSeconds: SESSION_MAX_AGE_SECONDS,
      });
      return { kind: "signed_in", returnTo: row.returnTo, session: { token: session.sessionToken, expires: session.expires } };
    }
  }
  const failed = row.outcome?.startsWith("error:") ? row.outcome.slice("error:".length) : undefined;
  return { kind: "error", code: failed && failed !== "40163" && isLoginErrorCode(failed) ? failed : "state_used", returnTo: row.returnTo };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { buildCallbackUrl } from "./callback-url";
import { findUser, getHeadimgurl, VIRTUAL_USERS } from "./config";
import type { WechatApp } from "./config";
import type { EmulatorContext } from "./context";
import { readBody, readCookie, redirect, sendHtml, sendJson } from "./http";
import {
  OA_AUTH_ERRORS,
  OA_LINK_ERROR,
  renderConsentPage,
  renderNotInWechatPage,
  renderOaErrorPage,
  renderPickUserPage,
  renderRefusedPage,
  renderSnapshotPage,
} from "./pages/oa-auth-pages";
import { formatUserLabel } from "./pages/phone-page";
import { isAllowedRedirect } from "./qrconnect";

/** Who is "using WeChat" in this browser: set by the phone pages and by `GET /_emulator/as`. */
export const WX_USER_COOKIE = "wx_user";
/** Makes this browser's authorizations snapshot-page ones (`/_emulator/as?snapshot=1`). */
export const WX_SNAPSHOT_COOKIE = "wx_snapshot";

const SCOPE_BASE = "snsapi_base";
const SCOPE_USERINFO = "snsapi_userinfo";
const PARAM_ORDER = ["appid", "redirect_uri", "response_type", "scope"] as const;
const STATE_PATTERN = /^[A-Za-z0-9]{0,128}$/;
const COOKIE_ATTRIBUTES = "Path=/; Max-Age=31536000; SameSite=Lax";

type AuthorizeCheck = { ok: true; app: WechatApp; redirectUri: string; scope: string; state: string } | { ok: false; code?: number; message: string };

function readParamNames(search: string): string[] {
  return search
    .replace(/^\?/, "")
    .split("&")
    .filter(Boolean)
    .map((pair) => {
      const name = pair.split("=")[0] ?? "";
      try {
        return decodeURIComponent(name.replaceAll("+", " "));
      } catch {
        return name;
      }
    });
}

/**
 * WeChat opens the link only with appid, redirect_uri, response_type, scope (and state, when present) first
 * and in that order; extras such as forcePopup or connect_redirect may follow.
 */
export function hasWechatParamOrder(names: readonly string[]): boolean {
  if (!PARAM_ORDER.every((name, index) => names[index] === name)) return false;
  const stateIndex = names.indexOf("state");
  return stateIndex === -1 || stateIndex === PARAM_ORDER.length;
}

function linkError(): AuthorizeCheck {
  return { ok: false, message: OA_LINK_ERROR };
}

function codeError(code: number): AuthorizeCheck {
  return { ok: false, code, message: OA_AUTH_ERRORS[code] ?? OA_LINK_ERROR };
}

/**
 * Validates an authorize link: 10012 without appid; "该链接无法访问" for a wrong parameter order, an unknown
 * appid, a response_type other than `code` or a state outside `[A-Za-z0-9]{0,128}`; 10011 / 10003 for an
 * empty / foreign redirect_uri (its host, port included, must equal a callback domain); 10010 / 10005 for an
 * empty / unusable scope (website appids hold neither OA scope).
 * @see https://developers.weixin.qq.com/doc/oplatform/developers/troubleshooting/auth.html
 */
export function checkAuthorizeParams(ctx: EmulatorContext, url: URL): AuthorizeCheck {
  const query = url.searchParams;
  const appid = query.get("appid");
  if (!appid) return codeError(10012);
  if (!hasWechatParamOrder(readParamNames(url.search))) return linkError();
  const app = ctx.state.registry.findApp(appid);
  if (!app) return linkError();

  const redirectUri = query.get("redirect_uri");
  if (!redirectUri) return codeError(10011);
  if (!isAllowedRedirect(redirectUri, ctx.state.settings.callbackDomains)) return codeError(10003);
  if (query.get("response_type") !== "code") return linkError();

  const scope = query.get("scope");
  if (!scope) return codeError(10010);
  if (app.type !== "official_account" || (scope !== SCOPE_BASE && scope !== SCOPE_USERINFO)) return codeError(10005);

  const state = query.get("state") ?? "";
  if (!STATE_PATTERN.test(state)) return linkError();
  return { ok: true, app, redirectUri, scope, state };
}

/**
 * GET /connect/oauth2/authorize: OA web authorization as it happens inside WeChat. Outside WeChat (no
 * `MicroMessenger` in the User-Agent) only "请在微信客户端打开链接". The acting user is the `wx_user`
 * cookie. snsapi_base redirects at once; snsapi_userinfo shows the consent sheet unless the user granted it
 * before (and `forcePopup=true` is absent). In snapshot mode the code yields a virtual identity.
 * @see https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken.md
 */
export function handleOaAuthorize(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (!/MicroMessenger/i.test(req.headers["user-agent"] ?? "")) {
    sendHtml(res, 200, renderNotInWechatPage());
    return;
  }
  const check = checkAuthorizeParams(ctx, url);
  if (!check.ok) {
    sendHtml(res, 200, renderOaErrorPage(check.code === undefined ? { message: check.message } : { code: check.code, message: check.message }));
    return;
  }

  const user = findUser(readCookie(req, WX_USER_COOKIE) ?? "");
  if (!user) {
    const back = encodeURIComponent(url.pathname + url.search);
    const users = VIRTUAL_USERS.map((candidate) => ({
      label: formatUserLabel(candidate),
      href: `/_emulator/as?user=${encodeURIComponent(candidate.id)}&redirect=${back}`,
    }));
    sendHtml(res, 200, renderPickUserPage(users));
    return;
  }

  const { state } = ctx;
  const snapshot = state.settings.snapshot || url.searchParams.get("forceSnapShot") === "true" || readCookie(req, WX_SNAPSHOT_COOKIE) === "1";
  const issue = (options: { snapshot: boolean }): string => {
    const code = state.issueOaCode({ appid: check.app.appid, userId: user.id, scope: check.scope, snapshot: options.snapshot });
    return buildCallbackUrl(check.redirectUri, { code: code.code, state: check.state });
  };

  if (snapshot) {
    sendHtml(res, 200, renderSnapshotPage(issue({ snapshot: true })));
    return;
  }
  const forcePopup = url.searchParams.get("forcePopup") === "true";
  if (check.scope === SCOPE_BASE || (state.oa.hasUserinfoGrant(check.app.appid, user.id) && !forcePopup)) {
    // The WeChat client drops `#wechat_redirect` when it follows the link. A 302 would make the browser
    // carry the fragment on to redirect_uri (and every redirect after it), so navigate from a script.
    sendHtml(res, 200, renderSilentRedirectPage(issue({ snapshot: false })));
    return;
  }
  const consent = state.oa.createConsent({
    appid: check.app.appid,
    userId: user.id,
    redirectUri: check.redirectUri,
    state: check.state,
    createdAt: state.now(),
  });
  sendHtml(
    res,
    200,
    renderConsentPage({ appName: check.app.name, consentId: consent.id, nickname: user.nickname, headimgurl: getHeadimgurl(ctx.publicUrl, user) }),
  );
}

/**
 * POST /connect/oauth2/consent (the sheet's form): 允许 remembers the grant and redirects with a code; 拒绝
 * does what `oaRefusal` says: show "已拒绝" and stay (`none`), or redirect with state only (`state-only`).
 */
export async function handleOaConsent(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const consent = ctx.state.oa.takeConsent(form.get("id") ?? "");
  if (!consent) {
    sendHtml(res, 200, renderOaErrorPage({ message: OA_LINK_ERROR }));
    return;
  }
  if (form.get("action") === "allow") {
    ctx.state.oa.grantUserinfo(consent.appid, consent.userId);
    const code = ctx.state.issueOaCode({ appid: consent.appid, userId: consent.userId, scope: SCOPE_USERINFO, snapshot: false });
    redirect(res, buildCallbackUrl(consent.redirectUri, { code: code.code, state: consent.state }), 303);
    return;
  }
  if (ctx.state.settings.oaRefusal === "state-only") {
    redirect(res, buildCallbackUrl(consent.redirectUri, { state: consent.state }), 303);
    return;
  }
  sendHtml(res, 200, renderRefusedPage());
}

function isSafeRedirect(target: string): boolean {
  if (target.startsWith("/")) return !target.startsWith("//") && !target.startsWith("/\\");
  return /^https?:\/\//i.test(target) && URL.canParse(target);
}

/**
 * GET /_emulator/as?user=lin[&snapshot=1|0][&redirect=URL]: makes this browser "WeChat, logged in as lin"
 * (the `wx_user` cookie on the emulator origin), optionally in snapshot mode, then redirects (302) or answers
 * JSON. For e2e tests and the pick-user page.
 */
export function handleActAs(res: ServerResponse, url: URL, corsHeaders: Record<string, string>): void {
  const query = url.searchParams;
  const user = findUser(query.get("user") ?? "");
  if (!user) {
    sendJson(res, 400, { error: `unknown user: ${query.get("user") ?? ""}` }, corsHeaders);
    return;
  }
  const target = query.get("redirect");
  if (target !== null && !isSafeRedirect(target)) {
    sendJson(res, 400, { error: "redirect must be an http(s) URL or a path" }, corsHeaders);
    return;
  }
  const cookies = [`${WX_USER_COOKIE}=${encodeURIComponent(user.id)}; ${COOKIE_ATTRIBUTES}`];
  const snapshot = query.get("snapshot");
  if (snapshot === "1" || snapshot === "true") cookies.push(`${WX_SNAPSHOT_COOKIE}=1; ${COOKIE_ATTRIBUTES}`);
  if (snapshot === "0" || snapshot === "false") cookies.push(`${WX_SNAPSHOT_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`);

  if (target !== null) {
    redirect(res, target, 302, { "Set-Cookie": cookies });
    return;
  }
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ user: user.id, ...(snapshot === null ? {} : { snapshot: snapshot === "1" || snapshot === "true" }) });
  res.writeHead(200, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Set-Cookie": cookies,
    ...corsHeaders,
  });
  res.end(body);
}

/** A page that moves on to `target` at once, as the WeChat client does after a silent authorization. */
function renderSilentRedirectPage(target: string): string {
  const json = JSON.stringify(target).replace(/</g, "\\u003c");
  const href = target.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  return `<!doctype html><meta charset="utf-8"><title>微信</title><script>location.replace(${json});</script><noscript><a href="${href}">继续</a></noscript>`;
}

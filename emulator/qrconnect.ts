import type { IncomingMessage, ServerResponse } from "node:http";
import QRCode from "qrcode";
import type { EmulatorContext } from "./context";
import { send, sendHtml } from "./http";
import { renderErrorPage } from "./pages/error-page";
import { parseLang } from "./pages/layout";
import { renderQrconnectPage, renderQrconnectXml } from "./pages/qrconnect-page";
import type { QrPageLayout } from "./pages/qrconnect-page";
import type { QrSession } from "./state";
import { WX_ERRCODE } from "./state";
import { renderWxLoginJs } from "./wx-login-js";

/** Error texts of open.weixin.qq.com; the redirect_uri and scope ones are WeChat's verbatim. */
export const QRCONNECT_ERRORS = {
  appid: "appid 参数错误",
  scope: "Scope 参数错误或没有 Scope 权限",
  redirectUri: "redirect_uri 参数错误",
} as const;

const WEBSITE_SCOPE = "snsapi_login";

type QrconnectCheck = { ok: true; appid: string; appName: string; redirectUri: string } | { ok: false; message: string };

/**
 * Validates a qrconnect request the way WeChat does: appid, then scope (website apps only hold
 * snsapi_login, so an Official Account appid fails here too), then the redirect_uri host, which must equal
 * a configured callback domain exactly (sub-domains and other ports fail). response_type is not checked
 * because wxLogin.js never sends it.
 * @see https://developers.weixin.qq.com/doc/oplatform/developers/troubleshooting/auth.html
 */
export function checkQrconnectParams(ctx: EmulatorContext, query: URLSearchParams): QrconnectCheck {
  const app = ctx.state.registry.findApp(query.get("appid") ?? "");
  if (!app) return { ok: false, message: QRCONNECT_ERRORS.appid };

  const scopes = (query.get("scope") ?? "").split(",").map((scope) => scope.trim());
  const hasScope = scopes.every((scope) => scope === WEBSITE_SCOPE) && scopes[0] === WEBSITE_SCOPE;
  if (app.type !== "website" || !hasScope) return { ok: false, message: QRCONNECT_ERRORS.scope };

  const redirectUri = query.get("redirect_uri") ?? "";
  if (!isAllowedRedirect(redirectUri, ctx.state.settings.callbackDomains)) {
    return { ok: false, message: QRCONNECT_ERRORS.redirectUri };
  }
  return { ok: true, appid: app.appid, appName: app.name, redirectUri };
}

/** Whether redirect_uri is http(s) and its host (port included) equals one of the callback domains. */
export function isAllowedRedirect(redirectUri: string, callbackDomains: readonly string[]): boolean {
  if (!URL.canParse(redirectUri)) return false;
  const url = new URL(redirectUri);
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return callbackDomains.some((domain) => domain.trim().toLowerCase() === url.host);
}

/** Only http(s) and inline CSS may style the embedded page, as wxLogin's `href` option documents. */
function pickStylesheet(href: string | null): string | undefined {
  if (!href) return undefined;
  return /^(https?:\/\/|data:text\/css[;,])/i.test(href) ? href : undefined;
}

/** GET /connect/qrconnect: the QR login page (full page, or the wxLogin.js iframe with login_type=jssdk). */
export function handleQrconnect(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const query = url.searchParams;
  const lang = parseLang(query.get("lang"));
  const check = checkQrconnectParams(ctx, query);
  if (!check.ok) {
    sendHtml(res, 200, renderErrorPage({ lang, message: check.message }));
    return;
  }

  const isJssdk = query.get("login_type") === "jssdk";
  const isLite = isJssdk && query.get("stylelite") === "1";
  const layout: QrPageLayout = isLite ? "lite" : isJssdk ? "jssdk" : "page";
  const session = ctx.state.createQrSession({
    appid: check.appid,
    state: query.get("state") ?? "",
    redirectUri: check.redirectUri,
    // wxLogin sends "true", "false" or "default"; only "true" keeps the redirect inside the iframe.
    selfRedirect: query.get("self_redirect") === "true",
    lang,
    loginType: isJssdk ? "jssdk" : "page",
  });

  if (query.get("f") === "xml") {
    send(res, 200, renderQrconnectXml(session, check.appName), { "Content-Type": "text/xml; charset=utf-8" });
    return;
  }

  const stylesheetHref = isJssdk && !isLite ? pickStylesheet(query.get("href")) : undefined;
  const html = renderQrconnectPage({
    session,
    appName: check.appName,
    lang,
    layout,
    style: query.get("style") === "white" ? "white" : "black",
    refreshUrl: req.url ?? url.pathname + url.search,
    ...(stylesheetHref ? { stylesheetHref } : {}),
  });
  sendHtml(res, 200, html);
}

/** Rendering options of the QR PNG; exported so tests can re-render the expected image byte for byte. */
export const QR_IMAGE_OPTIONS = { type: "png", width: 430, margin: 1, errorCorrectionLevel: "M" } as const;

/** GET /connect/qrcode/<uuid>: the QR image, encoding the phone page URL. */
export async function handleQrImage(ctx: EmulatorContext, res: ServerResponse, uuid: string): Promise<void> {
  const session = ctx.state.getQrSession(uuid);
  if (!session) {
    send(res, 404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  const png = await QRCode.toBuffer(`${ctx.phoneUrl}/connect/confirm?uuid=${encodeURIComponent(uuid)}`, QR_IMAGE_OPTIONS);
  send(res, 200, png, { "Content-Type": "image/png" });
}

function describe(session: QrSession | undefined): { errcode: number; code: string } {
  // An unknown uuid (reset, evicted) reads as expired so the page offers a fresh QR.
  if (!session) return { errcode: WX_ERRCODE.expired, code: "" };
  return { errcode: WX_ERRCODE[session.status], code: session.status === "confirmed" ? (session.code ?? "") : "" };
}

/**
 * GET /connect/l/qrconnect?uuid&last: WeChat's long-poll. Answers at once when the status differs from
 * `last` (and is not plain waiting), else holds the request until a QR event or the clock makes it so,
 * or answers 408 after the long-poll window. Event-driven: nothing polls on the server side.
 */
export async function handleQrLongPoll(ctx: EmulatorContext, res: ServerResponse, url: URL): Promise<void> {
  const uuid = url.searchParams.get("uuid") ?? "";
  const last = Number(url.searchParams.get("last") ?? "0");
  const isNews = (errcode: number): boolean => errcode !== WX_ERRCODE.waiting && errcode !== last;

  const answer = (errcode: number, code: string): void => {
    send(res, 200, `window.wx_errcode=${errcode};window.wx_code='${code}';`, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Access-Control-Allow-Origin": "*",
    });
  };

  const first = describe(ctx.state.getQrSession(uuid));
  if (isNews(first.errcode)) {
    answer(first.errcode, first.code);
    return;
  }

  await new Promise<void>((resolve) => {
    const { state } = ctx;
    const eventName = `qr:${uuid}`;
    const windowTimer = setTimeout(() => finish({ errcode: WX_ERRCODE.waiting, code: "" }), state.settings.longPollMs);
    let expiryTimer: NodeJS.Timeout | undefined;

    const scheduleExpiryCheck = (): void => {
      clearTimeout(expiryTimer);
      const session = state.getQrSession(uuid);
      if (!session) return;
      const delay = session.expiresAt - state.now();
      // Beyond the long-poll window the 408 comes first anyway; also keeps setTimeout under its 2^31 cap.
      if (delay < state.settings.longPollMs) expiryTimer = setTimeout(check, Math.max(0, delay) + 5);
    };
    const check = (): void => {
      const now = describe(state.getQrSession(uuid));
      if (isNews(now.errcode)) finish(now);
    };
    const onTick = (): void => {
      check();
      scheduleExpiryCheck();
    };
    function finish(result: { errcode: number; code: string } | undefined): void {
      cleanup();
      if (result) answer(result.errcode, result.code);
      resolve();
    }
    function cleanup(): void {
      clearTimeout(windowTimer);
      clearTimeout(expiryTimer);
      state.events.off(eventName, check);
      state.events.off("tick", onTick);
      res.off("close", onClose);
    }
    const onClose = (): void => finish(undefined);

    state.events.on(eventName, check);
    state.events.on("tick", onTick);
    res.on("close", onClose);
    scheduleExpiryCheck();
  });
}

/** GET /connect/zh_CN/htmledition/js/wxLogin.js, loadable from any origin. */
export function handleWxLoginJs(ctx: EmulatorContext, res: ServerResponse): void {
  send(res, 200, renderWxLoginJs(ctx.publicUrl), {
    "Content-Type": "application/javascript; charset=utf-8",
    "Access-Control-Allow-Origin": "*",
    "Cache-Control": "no-store",
  });
}

import type { ServerResponse } from "node:http";
import { AVATAR_SIZES, findUser, OA_APP, VIRTUAL_USERS } from "./config";
import type { EmulatorContext } from "./context";
import { send, sendHtml } from "./http";
import { renderAvatarSvg } from "./pages/avatar";
import { parseLang } from "./pages/layout";
import { renderIndexPage, renderPhoneListPage } from "./pages/list-pages";
import { renderOaScanPage, renderUnknownOaScanPage } from "./pages/oa-scan-page";
import { formatUserLabel, renderPhonePage, renderUnknownPhonePage } from "./pages/phone-page";
import { getMpCodeUrl } from "./mini-program";
import { findOaQr } from "./oa-scan";
import { getSceneValue, isQrExpired } from "./oa-state";

/** GET /connect/confirm?uuid: what the QR encodes; the developer's stand-in for WeChat on the phone. */
export function handlePhonePage(ctx: EmulatorContext, res: ServerResponse, url: URL): void {
  const session = ctx.state.getQrSession(url.searchParams.get("uuid") ?? "");
  if (!session) {
    sendHtml(res, 404, renderUnknownPhonePage(parseLang(url.searchParams.get("lang"))));
    return;
  }
  const lang = url.searchParams.has("lang") ? parseLang(url.searchParams.get("lang")) : session.lang;
  const appName = ctx.state.registry.findApp(session.appid)?.name ?? session.appid;
  sendHtml(res, 200, renderPhonePage({ session, appName, lang, status: session.status }));
}

/** GET /oa/scan?ticket=…|url=…: what a parametric QR image encodes; scanning it as a new or existing follower. */
export function handleOaScanPage(ctx: EmulatorContext, res: ServerResponse, url: URL): void {
  const ticket = url.searchParams.get("ticket");
  const qrUrl = url.searchParams.get("url");
  const qr = findOaQr(ctx, ticket !== null ? { ticket } : qrUrl !== null ? { url: qrUrl } : {});
  if (!qr) {
    sendHtml(res, 404, renderUnknownOaScanPage());
    return;
  }
  const html = renderOaScanPage({
    ticket: qr.ticket,
    appName: ctx.state.registry.findApp(qr.appid)?.name ?? qr.appid,
    scene: getSceneValue(qr),
    actionName: qr.actionName,
    expired: isQrExpired(qr, ctx.state.now()),
  });
  sendHtml(res, 200, html);
}

/** GET /phone: pending QR logins for a developer without a phone at hand. */
export function handlePhoneList(ctx: EmulatorContext, res: ServerResponse): void {
  const pending = ctx.state
    .listQrSessions()
    .filter((session) => session.status === "waiting" || session.status === "scanned")
    .map((session) => ({
      uuid: session.uuid,
      appName: ctx.state.registry.findApp(session.appid)?.name ?? session.appid,
      status: session.status,
      state: session.state,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
    }));
  const now = ctx.state.now();
  const oaCodes = ctx.state.oa
    .listQrCodes()
    .filter((qr) => !isQrExpired(qr, now))
    .slice(0, 50)
    .map((qr) => ({
      ticket: qr.ticket,
      appName: ctx.state.registry.findApp(qr.appid)?.name ?? qr.appid,
      actionName: qr.actionName,
      scene: getSceneValue(qr),
      ...(qr.expiresAt === undefined ? {} : { expiresAt: qr.expiresAt }),
    }));
  const mpCodes = ctx.state.mp
    .listCodes()
    .slice(0, 50)
    .map((code) => ({
      appName: ctx.state.registry.findApp(code.appid)?.name ?? code.appid,
      scene: code.scene,
      createdAt: code.createdAt,
      url: getMpCodeUrl(ctx, code),
    }));
  sendHtml(res, 200, renderPhoneListPage(pending, now, oaCodes, mpCodes));
}

/** GET /: a short index of what the emulator serves. */
export function handleIndex(ctx: EmulatorContext, res: ServerResponse): void {
  const html = renderIndexPage({
    publicUrl: ctx.publicUrl,
    phoneUrl: ctx.phoneUrl,
    apps: ctx.state.registry.apps,
    users: VIRTUAL_USERS.map((user) => ({ id: user.id, label: formatUserLabel(user) })),
    oaPush: `${ctx.state.settings.oaPushUrl} (${ctx.state.settings.oaPushMode} mode, original id ${OA_APP.originalId ?? ""})`,
  });
  sendHtml(res, 200, html);
}

/** GET /avatar/<userId>/<size>: the image behind headimgurl. */
export function handleAvatar(res: ServerResponse, userId: string, sizeSegment: string): void {
  const user = findUser(userId);
  const size = Number(sizeSegment);
  if (!user || !user.hasAvatar || !/^\d+$/.test(sizeSegment) || !AVATAR_SIZES.includes(size)) {
    send(res, 404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  send(res, 200, renderAvatarSvg(user.id, user.nickname, size), {
    "Content-Type": "image/svg+xml; charset=utf-8",
    "Cache-Control": "public, max-age=86400",
    "Access-Control-Allow-Origin": "*",
  });
}

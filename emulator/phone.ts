import type { ServerResponse } from "node:http";
import { AVATAR_SIZES, findUser, VIRTUAL_USERS } from "./config";
import type { EmulatorContext } from "./context";
import { send, sendHtml } from "./http";
import { renderAvatarSvg } from "./pages/avatar";
import { parseLang } from "./pages/layout";
import { renderIndexPage, renderPhoneListPage } from "./pages/list-pages";
import { formatUserLabel, renderPhonePage, renderUnknownPhonePage } from "./pages/phone-page";

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
  sendHtml(res, 200, renderPhoneListPage(pending, ctx.state.now()));
}

/** GET /: a short index of what the emulator serves. */
export function handleIndex(ctx: EmulatorContext, res: ServerResponse): void {
  const html = renderIndexPage({
    publicUrl: ctx.publicUrl,
    phoneUrl: ctx.phoneUrl,
    apps: ctx.state.registry.apps,
    users: VIRTUAL_USERS.map((user) => ({ id: user.id, label: formatUserLabel(user) })),
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

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { findUser } from "./config";
import type { EmulatorContext } from "./context";
import { send, sendHtml } from "./http";
import { parseLang } from "./pages/layout";
import { renderMpPage, renderUnknownMpPage } from "./pages/mp-page";

/**
 * The mini program on the phone: `/mp/<appid>/<page>?scene=…` (what a 小程序码 encodes, and where a URL Link
 * lands) runs the site's own login page (miniprogram/) in the browser under the wx shim, with `wx.login`
 * and the phone button backed by the emulator's hooks and `wx.request` going to the site (`mpApiOrigin`).
 * The mini program's files are read as text at request time: the emulator imports nothing of the site's.
 * @see docs/wechat-protocol.md §H6
 */

export const MP_PAGE_PREFIX = "/mp/";
export const MP_RUNTIME_PREFIX = "/mp-runtime/";

/** WeChat's launch scene for a scanned 小程序码 (§H0). */
const SCAN_SCENE = 1047;
const DEFAULT_USER = "lin";
const MINIPROGRAM_DIR = new URL("../miniprogram/", import.meta.url);

/** The files the page loads, by their path under /mp-runtime/; config.js is generated from the setting. */
const RUNTIME_FILES: Readonly<Record<string, string>> = {
  "runtime.js": "testing/runtime.js",
  "pages/login/login.js": "pages/login/login.js",
  "i18n.js": "i18n.js",
};

const JS_HEADERS = { "Content-Type": "text/javascript; charset=utf-8", "X-Content-Type-Options": "nosniff" };

/** GET /mp-runtime/<file>: the shim and the mini program's sources, as text. */
export async function handleMpRuntime(ctx: EmulatorContext, res: ServerResponse, file: string): Promise<void> {
  if (file === "config.js") {
    send(res, 200, `module.exports = ${JSON.stringify({ apiOrigin: ctx.state.settings.mpApiOrigin })};\n`, JS_HEADERS);
    return;
  }
  const source = RUNTIME_FILES[file];
  if (!source) {
    send(res, 404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  send(res, 200, await readFile(new URL(source, MINIPROGRAM_DIR), "utf8"), JS_HEADERS);
}

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * Only the page's own inline style and controller (by hash), the runtime module from this origin, and fetch
 * to this origin (hooks, sources) and to the site. `unsafe-eval` is the one allowance: the runtime evaluates
 * the mini program's files with `new Function`, as WeChat's runtime evaluates them.
 */
function contentSecurityPolicy(html: string, apiOrigin: string): string {
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
  const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-eval' ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    `connect-src 'self' ${apiOrigin}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** GET /mp/<appid>/<page>?scene&launch_scene&user&lang. */
export function handleMpPage(ctx: EmulatorContext, res: ServerResponse, url: URL, rest: string): void {
  const lang = parseLang(url.searchParams.get("lang"));
  const slash = rest.indexOf("/");
  const appid = slash < 0 ? rest : rest.slice(0, slash);
  const page = slash < 0 ? "" : rest.slice(slash + 1);
  const app = ctx.state.registry.findApp(appid);
  // Only the login page is implemented; an unreleased app's codes (check_path=false) open it too.
  if (app?.type !== "mini_program" || page !== "pages/login/login") {
    sendHtml(res, 404, renderUnknownMpPage(lang));
    return;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (!["launch_scene", "user", "lang", "env_version"].includes(key)) query[key] = value;
  }
  const launchScene = Number(url.searchParams.get("launch_scene"));
  const requestedUser = url.searchParams.get("user") ?? DEFAULT_USER;
  const apiOrigin = ctx.state.settings.mpApiOrigin;
  const html = renderMpPage({
    appid: app.appid,
    appName: app.name,
    page,
    query,
    launchScene: Number.isInteger(launchScene) && launchScene > 0 ? launchScene : SCAN_SCENE,
    user: findUser(requestedUser) ? requestedUser : DEFAULT_USER,
    lang,
    apiOrigin,
  });
  sendHtml(res, 200, html, { "Content-Security-Policy": contentSecurityPolicy(html, apiOrigin), "Referrer-Policy": "no-referrer" });
}

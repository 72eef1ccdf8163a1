import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import QRCode from "qrcode";
import { findUser, getPhoneInfo, givesUnionid, openidFor, unionidFor } from "./config";
import type { WechatApp } from "./config";
import type { EmulatorContext } from "./context";
import { getErrmsg } from "./errcodes";
import { applyFault } from "./faults";
import { createRid, escapeHtml, readBody, redirect, send, sendHtml } from "./http";
import { isUserCodeExpired, JSCODE2SESSION_PER_USER_MINUTE, MAX_URL_LINK_DAYS } from "./mp-state";
import type { EnvVersion, MpCode, MpEndpoint } from "./mp-state";
import { spendDailyQuota } from "./openapi";
import { isMeteredPath } from "./quota";

/**
 * The mini-program APIs of api.weixin.qq.com (docs/wechat-protocol.md §H): 小程序码, code2Session, the phone
 * number and URL Links, plus the wxaurl.cn stand-in and the runtime hooks the emulator's phone page calls.
 */

/** What `/wxa/*` labels errors with (captured 2024), like `/cgi-bin/*`. */
export const WXA_CONTENT_TYPE = "application/json; encoding=utf-8";
export const JSCODE2SESSION_PATH = "/sns/jscode2session";
/** The emulator's `https://wxaurl.cn/`. */
export const URL_LINK_PREFIX = "/wxaurl/";

type WxaEndpoint = Exclude<MpEndpoint, "sns/jscode2session">;
type Body = Record<string, unknown>;

const WXA_ROUTES: Readonly<Record<string, WxaEndpoint>> = {
  "/wxa/getwxacodeunlimit": "wxa/getwxacodeunlimit",
  "/wxa/business/getuserphonenumber": "wxa/business/getuserphonenumber",
  "/wxa/generate_urllink": "wxa/generate_urllink",
};

const ENV_VERSIONS: readonly EnvVersion[] = ["release", "trial", "develop"];
const SCENE_PATTERN = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$/;
const QUERY_PATTERN = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$/;
const MAX_SCENE_LENGTH = 32;
const MAX_QUERY_LENGTH = 1024;
const DEFAULT_WIDTH = 430;
const MIN_WIDTH = 280;
const MAX_WIDTH = 1280;
/** What a URL Link opened outside WeChat (through the H5 middle page) launches with. */
const URL_LINK_SCENE = 1194;

/** The endpoint name of a `/wxa/*` path the emulator serves, else undefined. */
export function matchWxaRoute(pathname: string): WxaEndpoint | undefined {
  return WXA_ROUTES[pathname];
}

/** `/wxa/*` errmsgs end in " rid: …" without a comma (§H9). */
function wxaError(errcode: number): Body {
  return { errcode, errmsg: `${getErrmsg(errcode)} rid: ${createRid()}` };
}

/** jscode2session errmsgs end in ", rid: …" with a comma (§H3). */
function sessionError(errcode: number): Body {
  return { errcode, errmsg: `${getErrmsg(errcode)}, rid: ${createRid()}` };
}

/** getuserphonenumber's 40029 carries a hint before the rid (2023–2024 captures, §H4.2). */
function phoneCodeError(): Body {
  return { errcode: 40029, errmsg: `invalid code hint: [${randomBytes(12).toString("base64url").slice(0, 16)}] rid: ${createRid()}` };
}

function sendWxaJson(res: ServerResponse, body: Body): void {
  send(res, 200, JSON.stringify(body), { "Content-Type": WXA_CONTENT_TYPE });
}

type MpTokenCheck = { ok: true; app: WechatApp } | { ok: false; body: Body };

/** The access token must be a live one of a mini program: an Official Account's token is 48001 (§H1). */
function checkMpToken(ctx: EmulatorContext, token: string | null): MpTokenCheck {
  const check = ctx.state.oa.checkAppToken(token ?? undefined, ctx.state.now());
  if (!check.ok) return { ok: false, body: wxaError(check.errcode) };
  const app = ctx.state.registry.findApp(check.record.appid);
  if (app?.type !== "mini_program" || !app.miniProgram) return { ok: false, body: wxaError(48001) };
  return { ok: true, app };
}

type JsonRead = { kind: "empty" } | { kind: "invalid" } | { kind: "object"; body: Body };

async function readJsonBody(req: IncomingMessage): Promise<JsonRead> {
  const raw = await readBody(req);
  if (raw.trim() === "") return { kind: "empty" };
  try {
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? { kind: "object", body: parsed as Body } : { kind: "invalid" };
  } catch {
    return { kind: "invalid" };
  }
}

type FieldType = "string" | "boolean" | "number" | "object";

/** Whether every field is one of `allowed` with its type; anything else is WeChat's 47001 "data format error". */
function hasValidFields(body: Body, allowed: Readonly<Record<string, FieldType>>): boolean {
  return Object.entries(body).every(([key, value]) => {
    const type = allowed[key];
    if (type === undefined) return false;
    if (type === "object") return typeof value === "object" && value !== null && !Array.isArray(value);
    return typeof value === type;
  });
}

/**
 * Answers one `/wxa/*` call: HTTP 200 always; errors `{errcode, errmsg}` labelled
 * `application/json; encoding=utf-8`; a 小程序码 as image bytes. Every call is counted for stats.
 */
export async function handleWxa(ctx: EmulatorContext, endpoint: WxaEndpoint, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.oa.countCall(endpoint);
  const fault = ctx.state.faults.consume(endpoint);
  if (fault && (await applyFault(fault, res, WXA_CONTENT_TYPE))) return;

  if (req.method !== "POST") return sendWxaJson(res, wxaError(43002));
  const token = checkMpToken(ctx, url.searchParams.get("access_token"));
  if (!token.ok) return sendWxaJson(res, token.body);
  const metered = `/${endpoint}`;
  if (isMeteredPath(metered) && !spendDailyQuota(ctx, token.app.appid, metered)) return sendWxaJson(res, wxaError(45009));
  const read = await readJsonBody(req);
  switch (endpoint) {
    case "wxa/getwxacodeunlimit": {
      const answer = createCode(ctx, token.app, read);
      if (!answer.ok) return sendWxaJson(res, answer.body);
      const png = await QRCode.toBuffer(getMpCodeUrl(ctx, answer.code), { errorCorrectionLevel: "M", margin: 2, width: answer.code.width });
      // PNG bytes under a JPEG label, as observed on WeChat: clients must sniff the magic bytes (§H2.2).
      send(res, 200, png, { "Content-Type": "image/jpeg" });
      return;
    }
    case "wxa/business/getuserphonenumber":
      return sendWxaJson(res, getPhoneNumber(ctx, token.app, read));
    case "wxa/generate_urllink":
      return sendWxaJson(res, generateUrlLink(ctx, token.app, read));
  }
}

/** The phone-side URL a 小程序码 encodes: the emulator's mini-program page with the launch query. */
export function getMpCodeUrl(ctx: EmulatorContext, code: Pick<MpCode, "appid" | "page" | "scene" | "envVersion">): string {
  return `${ctx.phoneUrl}/mp/${code.appid}/${code.page}?scene=${encodeURIComponent(code.scene)}&env_version=${code.envVersion}`;
}

type CodeAnswer = { ok: true; code: MpCode } | { ok: false; body: Body };

const CODE_FIELDS: Readonly<Record<string, FieldType>> = {
  scene: "string",
  page: "string",
  check_path: "boolean",
  env_version: "string",
  width: "number",
  auto_color: "boolean",
  line_color: "object",
  is_hyaline: "boolean",
};

/**
 * getwxacodeunlimit. A body that is not JSON is 40169 (its errmsg says "or the data is not json string");
 * wrong types and unknown fields (an `access_token` in the body) 47001; the scene 40169 (length) and 40129
 * (charset); `env_version` 40097; the page 41030 (leading `/`, a query, or missing from the release when
 * `check_path`). A width outside 280–1280 is clamped (WeChat's behaviour is UNCONFIRMED).
 * @see docs/wechat-protocol.md §H2
 */
function createCode(ctx: EmulatorContext, app: WechatApp, read: JsonRead): CodeAnswer {
  const now = ctx.state.now();
  if (ctx.state.mp.codeCalls.hit(app.appid, now) > ctx.state.settings.mpCodePerMinute) return { ok: false, body: wxaError(45009) };
  if (read.kind !== "object") return { ok: false, body: wxaError(40169) };
  const body = read.body;
  if (!hasValidFields(body, CODE_FIELDS)) return { ok: false, body: wxaError(47001) };
  const scene = body.scene as string | undefined;
  if (scene === undefined || scene.length < 1 || scene.length > MAX_SCENE_LENGTH) return { ok: false, body: wxaError(40169) };
  if (!SCENE_PATTERN.test(scene)) return { ok: false, body: wxaError(40129) };
  const envVersion = ENV_VERSIONS.find((env) => env === (body.env_version ?? "release"));
  if (!envVersion) return { ok: false, body: wxaError(40097) };

  const profile = app.miniProgram;
  const page = (body.page as string | undefined) ?? profile?.pages[0] ?? "";
  if (page === "" || page.startsWith("/") || page.includes("?")) return { ok: false, body: wxaError(41030) };
  const checkPath = body.check_path !== false;
  if (checkPath && !(profile?.released && profile.pages.includes(page))) return { ok: false, body: wxaError(41030) };

  const requestedWidth = typeof body.width === "number" && Number.isFinite(body.width) ? Math.round(body.width) : DEFAULT_WIDTH;
  const width = Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, requestedWidth));
  return { ok: true, code: ctx.state.mp.recordCode({ appid: app.appid, scene, page, envVersion, width, createdAt: now }) };
}

/**
 * getuserphonenumber: `{code, openid?}`. Unknown, expired, used and other-app codes, and a wx.login code
 * passed instead, are all 40029 with a `hint: […]` (a reused code's answer is UNCONFIRMED). An `openid`
 * that is not the code's user is 40029 too: an emulator choice, WeChat's errcode for it is not captured.
 * @see docs/wechat-protocol.md §H4.2
 */
function getPhoneNumber(ctx: EmulatorContext, app: WechatApp, read: JsonRead): Body {
  if (read.kind === "empty") return wxaError(44002);
  if (read.kind === "invalid" || !hasValidFields(read.body, { code: "string", openid: "string" })) return wxaError(47001);
  const now = ctx.state.now();
  const record = ctx.state.mp.phoneCodes.get((read.body.code as string | undefined) ?? "");
  if (!record || record.appid !== app.appid || record.used || isUserCodeExpired(record, now)) return phoneCodeError();
  const openid = read.body.openid as string | undefined;
  if (openid !== undefined && openid !== openidFor(app.appid, record.userId)) return phoneCodeError();
  const user = findUser(record.userId);
  const phone = user ? getPhoneInfo(user) : undefined;
  if (!phone) return wxaError(-1);
  record.used = true;
  return {
    errcode: 0,
    errmsg: "ok",
    phone_info: { ...phone, watermark: { timestamp: Math.floor(record.issuedAt / 1000), appid: app.appid } },
  };
}

const URL_LINK_FIELDS: Readonly<Record<string, FieldType>> = {
  path: "string",
  query: "string",
  expire_type: "number",
  expire_time: "number",
  expire_interval: "number",
  is_expire: "boolean",
  env_version: "string",
  cloud_base: "object",
};

/**
 * generate_urllink. Personal-subject mini programs get 40002 "invalid grant_type" (captured; the doc's
 * wording is backwards), unreleased ones 85079. Expiry: `expire_type` 0 needs `expire_time` at most 30 days
 * ahead, 1 an `expire_interval` of 1–30 days; beyond is 85401 (UNCONFIRMED text). With no expiry given the
 * link lives 30 days, since `is_expire` is always treated as true now (an emulator choice).
 * @see docs/wechat-protocol.md §H7
 */
function generateUrlLink(ctx: EmulatorContext, app: WechatApp, read: JsonRead): Body {
  if (read.kind === "empty") return wxaError(44002);
  if (read.kind === "invalid" || !hasValidFields(read.body, URL_LINK_FIELDS)) return wxaError(47001);
  const body = read.body;
  const profile = app.miniProgram;
  if (!profile || profile.subject === "personal") return wxaError(40002);
  if (!profile.released) return wxaError(85079);

  const path = (body.path as string | undefined) ?? "";
  const resolvedPath = path === "" ? (profile.pages[0] ?? "") : path;
  if (path.startsWith("/") || path.includes("?") || !profile.pages.includes(resolvedPath)) return wxaError(40165);
  const query = (body.query as string | undefined) ?? "";
  if (query.length > MAX_QUERY_LENGTH || !QUERY_PATTERN.test(query)) return wxaError(40212);
  const envVersion = ENV_VERSIONS.find((env) => env === (body.env_version ?? "release"));
  if (!envVersion) return wxaError(40097);

  const now = ctx.state.now();
  const maxMs = MAX_URL_LINK_DAYS * 86_400_000;
  let expiresAt = now + maxMs;
  const expireType = body.expire_type ?? 0;
  if (expireType === 1) {
    const days = body.expire_interval;
    if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > MAX_URL_LINK_DAYS) return wxaError(85401);
    expiresAt = now + days * 86_400_000;
  } else if (expireType === 0) {
    const expireTime = body.expire_time;
    if (expireTime !== undefined) {
      const at = (expireTime as number) * 1000;
      if (at <= now || at > now + maxMs) return wxaError(85401);
      expiresAt = at;
    }
  } else {
    return wxaError(47001);
  }

  const link = ctx.state.mp.createUrlLink({ appid: app.appid, path: resolvedPath, query, envVersion, createdAt: now, expiresAt });
  return { errcode: 0, errmsg: "ok", url_link: `${ctx.publicUrl}${URL_LINK_PREFIX}${link.ticket}` };
}

/**
 * GET `/wxaurl/<ticket>`: what opening a URL Link does, reduced to a redirect into the emulator's
 * mini-program page with launch scene 1194; a small 404 page for unknown or expired links.
 */
export function handleUrlLink(ctx: EmulatorContext, res: ServerResponse, ticket: string): void {
  const link = ctx.state.mp.urlLinks.get(ticket);
  if (!link || ctx.state.now() >= link.expiresAt) {
    sendHtml(
      res,
      404,
      `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>链接已失效</title></head><body><p id="wxaurl-invalid">链接已失效 · ${escapeHtml("This link has expired or does not exist.")}</p></body></html>`,
    );
    return;
  }
  const query = link.query === "" ? "" : `${link.query}&`;
  redirect(res, `${ctx.phoneUrl}/mp/${link.appid}/${link.path}?${query}launch_scene=${URL_LINK_SCENE}`);
}

/**
 * GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code. JSON labelled `text/plain`,
 * no errcode on success, errmsgs with ", rid: …". Checks: 41002, 40013 (unknown or not a mini program),
 * 41004, 40125, 40002, 41008, 40029 (unknown or another app's code), 45011 (over 100 per minute per user),
 * 40163 (reused), 40029 (older than 300 s), 40226 (`blockedUsers`).
 * @see docs/wechat-protocol.md §H3
 */
export async function handleJscode2session(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.oa.countCall("sns/jscode2session");
  const fault = ctx.state.faults.consume("sns/jscode2session");
  if (fault && (await applyFault(fault, res, "text/plain"))) return;
  if (req.method === "POST") await readBody(req);
  const body = exchangeLoginCode(ctx, url.searchParams);
  send(res, 200, JSON.stringify(body), { "Content-Type": "text/plain" });
}

function exchangeLoginCode(ctx: EmulatorContext, query: URLSearchParams): Body {
  const param = (name: string): string | undefined => query.get(name) || undefined;
  const appid = param("appid");
  if (!appid) return sessionError(41002);
  const app = ctx.state.registry.findApp(appid);
  if (app?.type !== "mini_program") return sessionError(40013);
  const secret = param("secret");
  if (!secret) return sessionError(41004);
  if (secret !== app.secret) return sessionError(40125);
  if (param("grant_type") !== "authorization_code") return sessionError(40002);
  const code = param("js_code");
  if (!code) return sessionError(41008);

  const now = ctx.state.now();
  const record = ctx.state.mp.loginCodes.get(code);
  if (!record || record.appid !== app.appid) return sessionError(40029);
  if (ctx.state.mp.sessionCalls.hit(`${app.appid}:${record.userId}`, now) > JSCODE2SESSION_PER_USER_MINUTE) return sessionError(45011);
  if (record.used) return sessionError(40163);
  if (isUserCodeExpired(record, now)) return sessionError(40029);
  if (ctx.state.settings.blockedUsers.includes(record.userId)) return sessionError(40226);
  record.used = true;

  const user = findUser(record.userId);
  const unionid = user && givesUnionid(app, user, ctx.state.settings.unboundApps) ? { unionid: unionidFor(app.openAccountId, user.id) } : {};
  return { session_key: randomBytes(16).toString("base64"), openid: openidFor(app.appid, record.userId), ...unionid };
}

/** The answer of the phone-page hooks: a code, or the errMsg the mini program's callback would see. */
export type MpHookAnswer = { code: string } | { errMsg: string };

/** `wx.login()` in `app` for `user`, or undefined when either is unknown. */
export function issueMpLoginCode(ctx: EmulatorContext, appid: string, userId: string): MpHookAnswer | undefined {
  const app = ctx.state.registry.findApp(appid);
  if (app?.type !== "mini_program" || !findUser(userId)) return undefined;
  return { code: ctx.state.mp.issueLoginCode(app.appid, userId, ctx.state.now()).code };
}

/**
 * The phone button in `app` for `user`: a code when the mini program may use it (company subject, verified)
 * and the user has a phone. The two errMsg texts are UNCONFIRMED emulator choices.
 */
export function issueMpPhoneCode(ctx: EmulatorContext, appid: string, userId: string): MpHookAnswer | undefined {
  const app = ctx.state.registry.findApp(appid);
  const user = findUser(userId);
  if (app?.type !== "mini_program" || !app.miniProgram || !user) return undefined;
  if (app.miniProgram.subject !== "company" || !app.miniProgram.verified) return { errMsg: "getPhoneNumber:fail no permission" };
  if (user.phone === undefined) return { errMsg: "getPhoneNumber:fail user has no phone number" };
  return { code: ctx.state.mp.issuePhoneCode(app.appid, userId, ctx.state.now()).code };
}

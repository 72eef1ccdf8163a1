import type { IncomingMessage, ServerResponse } from "node:http";
import QRCode from "qrcode";
import { DEFAULT_QR_EXPIRE_SECONDS, givesUnionid, MAX_QR_EXPIRE_SECONDS, openidFor, unionidFor, VIRTUAL_USERS } from "./config";
import type { WechatApp } from "./config";
import type { EmulatorContext } from "./context";
import { getErrmsg } from "./errcodes";
import { applyFault } from "./faults";
import { createRid, readBody, send } from "./http";
import { isQrExpired } from "./oa-state";
import { getQuota, getRid, spendDailyQuota } from "./openapi";
import type { AppTokenRecord, CgiEndpoint, OaQrActionName, OaQrCode } from "./oa-state";
import { QR_IMAGE_OPTIONS } from "./qrconnect";

/** What `/cgi-bin/*` labels its JSON with (captured from a real /cgi-bin/token answer), unlike /sns's text/plain. */
export const CGI_CONTENT_TYPE = "application/json; encoding=utf-8";

export type CgiBody = Record<string, unknown>;

const CGI_ROUTES: Readonly<Record<string, CgiEndpoint>> = {
  "/cgi-bin/token": "cgi-bin/token",
  "/cgi-bin/stable_token": "cgi-bin/stable_token",
  "/cgi-bin/qrcode/create": "cgi-bin/qrcode/create",
  "/cgi-bin/user/info": "cgi-bin/user/info",
  "/cgi-bin/openapi/quota/get": "cgi-bin/openapi/quota/get",
  "/cgi-bin/openapi/rid/get": "cgi-bin/openapi/rid/get",
};

const TEMPORARY_ACTIONS: readonly OaQrActionName[] = ["QR_SCENE", "QR_STR_SCENE"];
const ACTIONS: readonly OaQrActionName[] = [...TEMPORARY_ACTIONS, "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"];
const MAX_SCENE_ID = 4_294_967_295;
const MAX_LIMIT_SCENE_ID = 100_000;
const MAX_SCENE_STR_LENGTH = 64;

/** The endpoint name of an api.weixin.qq.com `/cgi-bin/*` path the emulator serves, else undefined. */
export function matchCgiRoute(pathname: string): CgiEndpoint | undefined {
  return CGI_ROUTES[pathname];
}

export function cgiError(errcode: number): CgiBody {
  return { errcode, errmsg: `${getErrmsg(errcode)}, rid: ${createRid()}` };
}

/**
 * Answers one api.weixin.qq.com `/cgi-bin/*` call of the Official Account: HTTP 200, JSON labelled
 * `application/json; encoding=utf-8`, errors as `{errcode, errmsg}` with a rid. Every call is counted for
 * `GET /_emulator/stats`, faulted ones included.
 */
export async function handleCgi(ctx: EmulatorContext, endpoint: CgiEndpoint, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.state.oa.countCall(endpoint);
  const fault = ctx.state.faults.consume(endpoint);
  if (fault && (await applyFault(fault, res, CGI_CONTENT_TYPE))) return;

  const body = await answerCgi(ctx, endpoint, req, url);
  send(res, 200, JSON.stringify(body), { "Content-Type": CGI_CONTENT_TYPE });
}

async function answerCgi(ctx: EmulatorContext, endpoint: CgiEndpoint, req: IncomingMessage, url: URL): Promise<CgiBody> {
  switch (endpoint) {
    case "cgi-bin/token":
      return getToken(ctx, url.searchParams);
    case "cgi-bin/stable_token":
      if (req.method !== "POST") return cgiError(43002);
      return getStableToken(ctx, await readJsonObject(req));
    case "cgi-bin/qrcode/create": {
      if (req.method !== "POST") return cgiError(43002);
      const token = checkToken(ctx, url.searchParams.get("access_token"));
      if (!token.ok) return token.body;
      if (!spendDailyQuota(ctx, token.record.appid, "/cgi-bin/qrcode/create")) return cgiError(45009);
      return createQrCode(ctx, token.record, await readJsonObject(req));
    }
    case "cgi-bin/user/info":
      return getUserInfo(ctx, url.searchParams);
    case "cgi-bin/openapi/quota/get":
    case "cgi-bin/openapi/rid/get": {
      if (req.method !== "POST") return cgiError(43002);
      const check = ctx.state.oa.checkAppToken(url.searchParams.get("access_token") ?? undefined, ctx.state.now());
      if (!check.ok) return cgiError(check.errcode);
      const app = ctx.state.registry.findApp(check.record.appid);
      if (!app) return cgiError(-1);
      const body = await readJsonObject(req);
      return endpoint === "cgi-bin/openapi/quota/get" ? getQuota(ctx, app, body) : getRid(ctx, app, body);
    }
  }
}

/** stable_token and qrcode/create take JSON only; anything else is WeChat's 47001 "data format error". */
async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  try {
    const parsed = JSON.parse(await readBody(req)) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

type AppCheck = { ok: true; app: WechatApp } | { ok: false; body: CgiBody };

/**
 * appid, then secret, then grant_type, as /sns does. Only Official Accounts and mini programs hold
 * client_credential tokens here, so a website appid is 40013. A wrong secret is 40125 on both /cgi-bin/token and stable_token
 * (2022-2025 captures); 40001 is for a stale or invalid access token.
 */
function checkAppCredentials(ctx: EmulatorContext, input: { appid?: string; secret?: string; grantType?: string }): AppCheck {
  if (!input.appid) return { ok: false, body: cgiError(41002) };
  const app = ctx.state.registry.findApp(input.appid);
  if (!app || (app.type !== "official_account" && app.type !== "mini_program")) return { ok: false, body: cgiError(40013) };
  if (!input.secret) return { ok: false, body: cgiError(41004) };
  if (input.secret !== app.secret) return { ok: false, body: cgiError(40125) };
  if (input.grantType !== "client_credential") return { ok: false, body: cgiError(40002) };
  return { ok: true, app };
}

/** @see https://developers.weixin.qq.com/doc/service/en/Basic_Information/Get_access_token.html */
function getToken(ctx: EmulatorContext, query: URLSearchParams): CgiBody {
  const check = checkAppCredentials(ctx, {
    appid: nonEmptyString(query.get("appid")),
    secret: nonEmptyString(query.get("secret")),
    grantType: nonEmptyString(query.get("grant_type")),
  });
  if (!check.ok) return check.body;
  if (!spendDailyQuota(ctx, check.app.appid, "/cgi-bin/token")) return cgiError(45009);
  const now = ctx.state.now();
  return tokenAnswer(ctx.state.oa.issueToken(check.app, now), now);
}

/** @see https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken */
function getStableToken(ctx: EmulatorContext, body: Record<string, unknown> | undefined): CgiBody {
  if (!body) return cgiError(47001);
  const check = checkAppCredentials(ctx, {
    appid: nonEmptyString(body.appid),
    secret: nonEmptyString(body.secret),
    grantType: nonEmptyString(body.grant_type),
  });
  if (!check.ok) return check.body;
  if (!spendDailyQuota(ctx, check.app.appid, "/cgi-bin/stable_token")) return cgiError(45009);
  const now = ctx.state.now();
  const result = ctx.state.oa.getStableToken(check.app, now, body.force_refresh === true);
  return result.ok ? tokenAnswer(result.record, now) : cgiError(result.errcode);
}

function tokenAnswer(record: AppTokenRecord, now: number): CgiBody {
  return { access_token: record.token, expires_in: Math.floor((record.expiresAt - now) / 1000) };
}

type TokenCheck = { ok: true; record: AppTokenRecord } | { ok: false; body: CgiBody };

/**
 * Token types are isolated per account type: a mini program's token on an Official Account API is 48001
 * "api unauthorized" (docs/wechat-protocol.md §H1).
 */
function checkToken(ctx: EmulatorContext, token: string | null): TokenCheck {
  const check = ctx.state.oa.checkAppToken(token ?? undefined, ctx.state.now());
  if (!check.ok) return { ok: false, body: cgiError(check.errcode) };
  if (ctx.state.registry.findApp(check.record.appid)?.type !== "official_account") return { ok: false, body: cgiError(48001) };
  return check;
}

type SceneCheck = { ok: true; scene: Pick<OaQrCode, "sceneId" | "sceneStr">; omitted: boolean } | { ok: false; errcode: number };

/**
 * 40053 when action_info (or the field the action needs) is missing, 40097 when a value is out of range.
 * A missing `scene` wrapper inside action_info is accepted and becomes scene 0, as WeChat does.
 * @see https://www.cnblogs.com/fuwentao/p/8706591.html
 */
function readScene(actionName: OaQrActionName, actionInfo: unknown): SceneCheck {
  if (typeof actionInfo !== "object" || actionInfo === null || Array.isArray(actionInfo)) return { ok: false, errcode: 40053 };
  const scene = (actionInfo as Record<string, unknown>).scene;
  if (scene === undefined) return { ok: true, scene: { sceneId: 0 }, omitted: true };
  if (typeof scene !== "object" || scene === null || Array.isArray(scene)) return { ok: false, errcode: 40053 };
  const fields = scene as Record<string, unknown>;

  if (actionName === "QR_SCENE" || actionName === "QR_LIMIT_SCENE") {
    const sceneId = fields.scene_id;
    if (sceneId === undefined) return { ok: false, errcode: 40053 };
    const max = actionName === "QR_SCENE" ? MAX_SCENE_ID : MAX_LIMIT_SCENE_ID;
    if (typeof sceneId !== "number" || !Number.isInteger(sceneId) || sceneId < 1 || sceneId > max) return { ok: false, errcode: 40097 };
    return { ok: true, scene: { sceneId }, omitted: false };
  }
  const sceneStr = fields.scene_str;
  if (sceneStr === undefined) return { ok: false, errcode: 40053 };
  if (typeof sceneStr !== "string" || sceneStr.length < 1 || sceneStr.length > MAX_SCENE_STR_LENGTH) return { ok: false, errcode: 40097 };
  return { ok: true, scene: { sceneStr }, omitted: false };
}

/**
 * Creates a parametric QR code. Temporary codes default to 30 s when expire_seconds is omitted (WeChat's
 * docs disagree between 30 and 60 s, so the emulator logs the omission) and accept at most 30 days.
 * @see https://developers.weixin.qq.com/doc/service/api/qrcode/qrcodes/api_createqrcode.md
 */
function createQrCode(ctx: EmulatorContext, token: AppTokenRecord, body: Record<string, unknown> | undefined): CgiBody {
  if (!body) return cgiError(47001);
  const actionName = ACTIONS.find((action) => action === body.action_name);
  if (!actionName) return cgiError(40052);
  const scene = readScene(actionName, body.action_info);
  if (!scene.ok) return cgiError(scene.errcode);

  const isTemporary = TEMPORARY_ACTIONS.includes(actionName);
  const rawExpire = body.expire_seconds;
  const expireOmitted = isTemporary && (rawExpire === undefined || rawExpire === null);
  let expireSeconds: number | undefined;
  if (isTemporary) {
    const requested: unknown = expireOmitted ? DEFAULT_QR_EXPIRE_SECONDS : rawExpire;
    if (typeof requested !== "number" || !Number.isInteger(requested) || requested < 1 || requested > MAX_QR_EXPIRE_SECONDS) {
      return cgiError(40097);
    }
    expireSeconds = requested;
  }
  if (expireOmitted) {
    ctx.log?.(`qrcode/create: expire_seconds omitted, using ${DEFAULT_QR_EXPIRE_SECONDS} s (WeChat's default is undocumented; send it)`);
  }
  if (scene.omitted) ctx.log?.("qrcode/create: action_info has no scene wrapper; pushes will carry scene 0 as on WeChat");

  const createdAt = ctx.state.now();
  const qr = ctx.state.oa.createQrCode({
    appid: token.appid,
    actionName,
    ...scene.scene,
    createdAt,
    ...(expireSeconds === undefined ? {} : { expireSeconds, expiresAt: createdAt + expireSeconds * 1000 }),
    expireSecondsOmitted: expireOmitted,
    sceneOmitted: scene.omitted,
  });
  return { ticket: qr.ticket, ...(expireSeconds === undefined ? {} : { expire_seconds: expireSeconds }), url: qr.url };
}

/**
 * Followers get the post-2021 shape (no nickname or avatar); non-followers only subscribe, openid and, when
 * the user has one, unionid (as wechatpy's fixture shows; UNCONFIRMED). 41009 without openid, 40003 for an
 * openid that is not one of this OA's users.
 * @see https://developers.weixin.qq.com/doc/offiaccount/en/User_Management/Get_user_basic_information_UnionID.html
 */
function getUserInfo(ctx: EmulatorContext, query: URLSearchParams): CgiBody {
  const token = checkToken(ctx, query.get("access_token"));
  if (!token.ok) return token.body;
  if (!spendDailyQuota(ctx, token.record.appid, "/cgi-bin/user/info")) return cgiError(45009);
  const app = ctx.state.registry.findApp(token.record.appid);
  if (!app) return cgiError(-1);
  const openid = nonEmptyString(query.get("openid"));
  if (!openid) return cgiError(41009);
  const user = VIRTUAL_USERS.find((candidate) => openidFor(app.appid, candidate.id) === openid);
  if (!user) return cgiError(40003);

  const unionid = givesUnionid(app, user, ctx.state.settings.unboundApps) ? { unionid: unionidFor(app.openAccountId, user.id) } : {};
  const follower = ctx.state.oa.getFollower(app.appid, user.id);
  if (!follower) return { subscribe: 0, openid, ...unionid };
  return {
    subscribe: 1,
    openid,
    language: "zh_CN",
    subscribe_time: Math.floor(follower.subscribeTime / 1000),
    ...unionid,
    remark: "",
    groupid: 0,
    tagid_list: [],
    subscribe_scene: follower.subscribeScene,
    qr_scene: follower.qrScene,
    qr_scene_str: follower.qrSceneStr,
  };
}

/** The phone page a parametric QR code's image encodes. */
export function getOaScanUrl(ctx: EmulatorContext, qr: OaQrCode): string {
  return `${ctx.phoneUrl}/oa/scan?ticket=${encodeURIComponent(qr.ticket)}`;
}

/**
 * GET /cgi-bin/showqrcode?ticket=URL_ENCODED_TICKET (mp.weixin.qq.com, no auth): the QR image, or 404 for an
 * unknown or expired ticket. PNG where WeChat serves JPEG; clients should not care.
 * @see https://developers.weixin.qq.com/community/develop/doc/0000a293e888b8618b70c979d6e400
 */
export async function handleShowQrcode(ctx: EmulatorContext, res: ServerResponse, url: URL): Promise<void> {
  const qr = ctx.state.oa.findQrByTicket(url.searchParams.get("ticket") ?? "");
  if (!qr || isQrExpired(qr, ctx.state.now())) {
    send(res, 404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }
  const png = await QRCode.toBuffer(getOaScanUrl(ctx, qr), QR_IMAGE_OPTIONS);
  send(res, 200, png, { "Content-Type": "image/png" });
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { getOaScanUrl } from "./cgi-bin";
import { DEMO_OPEN_ACCOUNT_ID, findUser, getHeadimgurl, OA_APP, openidFor, unionidFor, VIRTUAL_USERS } from "./config";
import type { EmulatorContext } from "./context";
import { faultSchema } from "./faults";
import { getMpCodeUrl, issueMpLoginCode, issueMpPhoneCode } from "./mini-program";
import type { MpHookAnswer } from "./mini-program";
import type { MpCode } from "./mp-state";
import { HttpError, readBody, sendJson } from "./http";
import { handleActAs } from "./oa-authorize";
import { findOaQr, scanOaQr } from "./oa-scan";
import { isQrExpired } from "./oa-state";
import type { Follower, OaQrCode } from "./oa-state";
import { getDailyLimit, METERED_PATH_NAMES } from "./quota";
import { buildEventMessage, pushToDeveloper, replayLastPush, verifyPushUrl } from "./push";
import type { EmulatorState, QrSession } from "./state";

export const CONTROL_PREFIX = "/_emulator/";

/** No CORS headers at all: only server-side callers and the emulator's own pages may drive it. */
const CONTROL_HEADERS: Record<string, string> = {};

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"];

/**
 * Whether a control request comes from a test, a script or the emulator's own pages. The control
 * API can confirm any pending login, so a page on another origin (any site a developer visits,
 * or another localhost port) must not reach it. Servers send no Origin and no Sec-Fetch-Site;
 * browsers send Origin on every cross-origin fetch that can change state, and Sec-Fetch-Site on
 * the rest. The Host header is not trusted (DNS rebinding): only origins the emulator serves.
 */
export function isControlCallerAllowed(ctx: EmulatorContext, req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const own = new Set([ctx.publicUrl, ctx.phoneUrl]);
  const port = req.socket.localPort;
  for (const host of LOOPBACK_HOSTS) own.add(`http://${host}:${port}`);
  return own.has(origin);
}

const DEFAULT_USER = "lin";

const userBodySchema = z.object({ user: z.string().min(1).default(DEFAULT_USER) });

const settingsPatchSchema = z
  .object({
    qrTtlSeconds: z.number().positive().max(31_536_000),
    codeTtlSeconds: z.number().positive().max(31_536_000),
    refusal: z.enum(["state-only", "none"]),
    callbackDomains: z.array(z.string().trim().min(1)),
    longPollMs: z.number().int().min(0).max(120_000),
    oaPushUrl: z.url({ protocol: /^https?$/ }),
    oaPushMode: z.enum(["plaintext", "compatible", "safe"]),
    // The rules of the OA console: token 3–32 letters or digits, EncodingAESKey exactly 43.
    oaPushToken: z.string().regex(/^[A-Za-z0-9]{3,32}$/, "3 to 32 letters or digits"),
    oaEncodingAesKey: z.string().regex(/^[A-Za-z0-9]{43}$/, "43 letters or digits"),
    pushTimeoutMs: z.number().int().min(1).max(120_000),
    oaRefusal: z.enum(["state-only", "none"]),
    oaCodeTtlSeconds: z.number().positive().max(31_536_000),
    snapshot: z.boolean(),
    unboundApps: z.array(z.string().regex(/^wx[0-9a-f]{16}$/, "an appid (wx + 16 hex digits)")).max(20),
    mpCodePerMinute: z.number().int().min(1).max(1_000_000),
    blockedUsers: z.array(z.string().min(1)).max(20),
    mpCodeFormat: z.literal("png"),
    // An origin: scheme, host and port only, as config.js names it.
    mpApiOrigin: z.url({ protocol: /^https?$/ }).transform((value) => new URL(value).origin),
    // Replaces the whole map; `{}` restores WeChat's limits.
    dailyQuota: z.partialRecord(z.enum(METERED_PATH_NAMES), z.number().int().min(0).max(1_000_000_000)),
  })
  .partial()
  .strict();

const clockSchema = z
  .object({
    advanceSeconds: z
      .number()
      .min(0)
      .max(10 * 365 * 24 * 3600),
  })
  .strict();

const qrQuerySchema = z.object({ state: z.string().optional(), appid: z.string().optional() });

const mpUserSchema = z.object({ appid: z.string().min(1), user: z.string().min(1).default(DEFAULT_USER) }).strict();

const followerBodySchema = z.object({ user: z.string().min(1), following: z.boolean() }).strict();

const oaScanSchema = z
  .object({
    ticket: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    scene: z.union([z.string().min(1), z.number().int()]).optional(),
    user: z.string().min(1).default(DEFAULT_USER),
    as: z.enum(["new", "existing"]).default("new"),
    badSignature: z.boolean().default(false),
  })
  .strict()
  .refine((body) => [body.ticket, body.url, body.scene].filter((value) => value !== undefined).length === 1, {
    message: "give exactly one of ticket, url, scene",
  });

const oaPushSchema = z
  .object({
    user: z.string().min(1).default(DEFAULT_USER),
    xml: z.string().min(1).optional(),
    event: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.union([z.string(), z.number()])).optional(),
    badSignature: z.boolean().default(false),
  })
  .strict()
  .refine((body) => (body.xml === undefined) !== (body.event === undefined), { message: "give exactly one of xml, event" });

export type QrView = ReturnType<typeof toQrView>;

/** The control API's picture of a QR session; `redirect` is where the page navigates after confirm/cancel. */
export function toQrView(state: EmulatorState, session: QrSession) {
  return {
    uuid: session.uuid,
    appid: session.appid,
    appName: state.registry.findApp(session.appid)?.name ?? session.appid,
    status: session.status,
    state: session.state,
    redirectUri: session.redirectUri,
    selfRedirect: session.selfRedirect,
    loginType: session.loginType,
    lang: session.lang,
    refusal: session.refusal,
    ...(session.userId === undefined ? {} : { userId: session.userId }),
    ...(session.code === undefined ? {} : { code: session.code }),
    createdAt: new Date(session.createdAt).toISOString(),
    expiresAt: new Date(session.expiresAt).toISOString(),
    ...(session.redirect === undefined ? {} : { redirect: session.redirect }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = await readBody(req);
  if (raw.trim() === "") return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new HttpError(400, z.prettifyError(result.error));
  return result.data;
}

function methodNotAllowed(allowed: string): never {
  throw new HttpError(405, `method not allowed; use ${allowed}`);
}

/**
 * Routes `/_emulator/*`: the JSON control API that tests, benchmarks and the phone page drive the emulator
 * with. Never echoes app secrets.
 */
export async function handleControl(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (!isControlCallerAllowed(ctx, req)) {
    sendJson(res, 403, { error: "the control API answers only server-side callers and the emulator's own pages" }, CONTROL_HEADERS);
    return;
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204, { Allow: "GET, POST, DELETE" }).end();
    return;
  }
  // Sets a cookie and redirects, so it is the one control endpoint that does not answer JSON on success.
  if (url.pathname === `${CONTROL_PREFIX}as` && (req.method === "GET" || req.method === "HEAD")) {
    handleActAs(res, url, CONTROL_HEADERS);
    return;
  }
  try {
    const [status, body] = await routeControl(ctx, req, url);
    sendJson(res, status, body, CONTROL_HEADERS);
  } catch (error) {
    if (error instanceof HttpError) {
      sendJson(res, error.status, { error: error.message }, CONTROL_HEADERS);
      return;
    }
    throw error;
  }
}

async function routeControl(ctx: EmulatorContext, req: IncomingMessage, url: URL): Promise<[number, unknown]> {
  const { state } = ctx;
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, "");
  const method = req.method ?? "GET";
  const segments = path.split("/");

  switch (path) {
    case "health":
      return [200, { ok: true }];
    case "users":
      return [200, listUsers(ctx)];
    case "apps":
      return [200, state.registry.apps.map(({ appid, name, type, openAccountId }) => ({ appid, name, type, openAccountId }))];
    case "qr": {
      if (method !== "GET") methodNotAllowed("GET");
      const filter = parseWith(qrQuerySchema, Object.fromEntries(url.searchParams));
      const sessions = state.listQrSessions({
        ...(filter.state === undefined ? {} : { state: filter.state }),
        ...(filter.appid === undefined ? {} : { appid: filter.appid }),
      });
      return [200, sessions.map((session) => toQrView(state, session))];
    }
    case "faults":
      if (method === "GET") return [200, state.faults.list()];
      if (method === "DELETE") {
        state.faults.clear();
        return [200, []];
      }
      if (method === "POST") return [201, state.faults.add(parseWith(faultSchema, await readJson(req)))];
      return methodNotAllowed("GET, POST or DELETE");
    case "settings":
      if (method === "GET") return [200, state.settings];
      if (method === "POST") {
        const patch = parseWith(settingsPatchSchema, await readJson(req));
        return [200, state.updateSettings(stripUndefined(patch))];
      }
      return methodNotAllowed("GET or POST");
    case "clock":
      if (method === "POST") state.advanceClock(parseWith(clockSchema, await readJson(req)).advanceSeconds);
      else if (method !== "GET") methodNotAllowed("GET or POST");
      return [200, { now: new Date(state.now()).toISOString(), offsetSeconds: state.getClockOffsetSeconds() }];
    case "reset":
      if (method !== "POST") methodNotAllowed("POST");
      state.reset();
      return [200, { ok: true }];
    case "stats":
      if (method !== "GET") methodNotAllowed("GET");
      return [200, state.oa.stats];
    case "quota":
      if (method !== "GET") methodNotAllowed("GET");
      return [
        200,
        state.quota.list(state.now()).map(({ appid, path: cgiPath, used }) => {
          const dailyLimit = getDailyLimit(state.settings.dailyQuota, cgiPath);
          return { appid, path: cgiPath, dailyLimit, used, remain: Math.max(0, dailyLimit - used) };
        }),
      ];
    case "oa/qrcodes":
      if (method !== "GET") methodNotAllowed("GET");
      return [200, state.oa.listQrCodes(OA_APP.appid).map((qr) => toOaQrView(ctx, qr))];
    case "oa/followers":
      if (method === "POST") {
        const body = parseWith(followerBodySchema, await readJson(req));
        if (!findUser(body.user)) throw new HttpError(400, `unknown user: ${body.user}`);
        if (!body.following) state.oa.unfollow(OA_APP.appid, body.user);
        else if (!state.oa.getFollower(OA_APP.appid, body.user)) {
          state.oa.follow(OA_APP.appid, { userId: body.user, subscribeTime: state.now(), subscribeScene: "ADD_SCENE_OTHERS", qrScene: 0, qrSceneStr: "" });
        }
      } else if (method !== "GET") methodNotAllowed("GET or POST");
      return [200, state.oa.listFollowers(OA_APP.appid).map(toFollowerView)];
    case "oa/scan": {
      if (method !== "POST") methodNotAllowed("POST");
      const body = parseWith(oaScanSchema, await readJson(req));
      const reference = body.ticket !== undefined ? { ticket: body.ticket } : body.url !== undefined ? { url: body.url } : { scene: String(body.scene) };
      const qr = findOaQr(ctx, reference);
      if (!qr) throw new HttpError(404, `unknown QR code: ${JSON.stringify(reference)}`);
      return [200, await scanOaQr(ctx, { qr, userId: body.user, as: body.as, badSignature: body.badSignature })];
    }
    case "oa/push": {
      if (method !== "POST") methodNotAllowed("POST");
      const body = parseWith(oaPushSchema, await readJson(req));
      if (!findUser(body.user)) throw new HttpError(400, `unknown user: ${body.user}`);
      const openid = openidFor(OA_APP.appid, body.user);
      const message = body.xml ?? buildEventMessage({ openid, createTime: Math.floor(state.now() / 1000), fields: body.event ?? {} });
      return [200, await pushToDeveloper(ctx, { openid, message, badSignature: body.badSignature })];
    }
    case "mp/codes":
      if (method !== "GET") methodNotAllowed("GET");
      return [200, state.mp.listCodes().map((code) => toMpCodeView(ctx, code))];
    case "mp/login":
    case "mp/phone-code": {
      if (method !== "POST") methodNotAllowed("POST");
      const body = parseWith(mpUserSchema, await readJson(req));
      const issue = path === "mp/login" ? issueMpLoginCode : issueMpPhoneCode;
      const answer: MpHookAnswer | undefined = issue(ctx, body.appid, body.user);
      if (!answer) throw new HttpError(404, `unknown mini program or user: ${body.appid} / ${body.user}`);
      return [200, answer];
    }
    case "oa/replay-last":
      if (method !== "POST") methodNotAllowed("POST");
      return [200, await replayLastPush(ctx)];
    case "oa/verify-url":
      if (method !== "POST") methodNotAllowed("POST");
      return [200, await verifyPushUrl(ctx)];
  }

  if (segments[0] === "qr" && segments[1] && segments.length <= 3) {
    const uuid = decodeURIComponent(segments[1]);
    const action = segments[2];
    if (action === undefined) {
      if (method !== "GET") methodNotAllowed("GET");
      const session = state.getQrSession(uuid);
      if (!session) throw new HttpError(404, `unknown QR uuid: ${uuid}`);
      return [200, toQrView(state, session)];
    }
    if (method !== "POST") methodNotAllowed("POST");
    const session = await actOnQr(state, req, uuid, action);
    return [200, toQrView(state, session)];
  }
  throw new HttpError(404, `unknown control endpoint: ${url.pathname}`);
}

async function actOnQr(state: EmulatorState, req: IncomingMessage, uuid: string, action: string): Promise<QrSession> {
  const body = await readJson(req);
  switch (action) {
    case "scan":
      return state.scanQr(uuid, parseWith(userBodySchema, body).user);
    case "confirm":
      return state.confirmQr(uuid, parseWith(userBodySchema, body).user);
    case "cancel":
      return state.cancelQr(uuid);
    case "expire":
      return state.expireQr(uuid);
    default:
      throw new HttpError(404, `unknown QR action: ${action}`);
  }
}

function toOaQrView(ctx: EmulatorContext, qr: OaQrCode) {
  return {
    ticket: qr.ticket,
    url: qr.url,
    scanUrl: getOaScanUrl(ctx, qr),
    imageUrl: `${ctx.publicUrl}/cgi-bin/showqrcode?ticket=${encodeURIComponent(qr.ticket)}`,
    actionName: qr.actionName,
    ...(qr.sceneId === undefined ? {} : { sceneId: qr.sceneId }),
    ...(qr.sceneStr === undefined ? {} : { sceneStr: qr.sceneStr }),
    createdAt: new Date(qr.createdAt).toISOString(),
    ...(qr.expiresAt === undefined ? {} : { expiresAt: new Date(qr.expiresAt).toISOString(), expireSeconds: qr.expireSeconds }),
    expireSecondsOmitted: qr.expireSecondsOmitted,
    sceneOmitted: qr.sceneOmitted,
    expired: isQrExpired(qr, ctx.state.now()),
  };
}

function toMpCodeView(ctx: EmulatorContext, code: MpCode) {
  return {
    appid: code.appid,
    appName: ctx.state.registry.findApp(code.appid)?.name ?? code.appid,
    scene: code.scene,
    page: code.page,
    envVersion: code.envVersion,
    width: code.width,
    createdAt: new Date(code.createdAt).toISOString(),
    url: getMpCodeUrl(ctx, code),
  };
}

function toFollowerView(follower: Follower) {
  return {
    user: follower.userId,
    openid: openidFor(OA_APP.appid, follower.userId),
    subscribeTime: new Date(follower.subscribeTime).toISOString(),
    subscribeScene: follower.subscribeScene,
    qrScene: follower.qrScene,
    qrSceneStr: follower.qrSceneStr,
  };
}

function listUsers(ctx: EmulatorContext) {
  return VIRTUAL_USERS.map((user) => ({
    id: user.id,
    nickname: user.nickname,
    hasUnionid: user.hasUnionid,
    ...(user.hasUnionid ? { unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, user.id) } : {}),
    headimgurl: getHeadimgurl(ctx.publicUrl, user),
    openids: Object.fromEntries(ctx.state.registry.apps.map((app) => [app.appid, openidFor(app.appid, user.id)])),
  }));
}

function stripUndefined<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

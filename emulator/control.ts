import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { DEMO_OPEN_ACCOUNT_ID, getHeadimgurl, openidFor, unionidFor, VIRTUAL_USERS } from "./config";
import type { EmulatorContext } from "./context";
import { faultSchema } from "./faults";
import { HttpError, readBody, sendJson } from "./http";
import type { EmulatorState, QrSession } from "./state";

export const CONTROL_PREFIX = "/_emulator/";

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers": "content-type",
  "Access-Control-Max-Age": "600",
};

const DEFAULT_USER = "lin";

const userBodySchema = z.object({ user: z.string().min(1).default(DEFAULT_USER) });

const settingsPatchSchema = z
  .object({
    qrTtlSeconds: z.number().positive().max(31_536_000),
    codeTtlSeconds: z.number().positive().max(31_536_000),
    refusal: z.enum(["state-only", "none"]),
    callbackDomains: z.array(z.string().trim().min(1)),
    longPollMs: z.number().int().min(0).max(120_000),
  })
  .partial()
  .strict();

const clockSchema = z.object({ advanceSeconds: z.number().min(0).max(10 * 365 * 24 * 3600) }).strict();

const qrQuerySchema = z.object({ state: z.string().optional(), appid: z.string().optional() });

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
  if (req.method === "OPTIONS") {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  try {
    const [status, body] = await routeControl(ctx, req, url);
    sendJson(res, status, body, CORS_HEADERS);
  } catch (error) {
    if (error instanceof HttpError) {
      sendJson(res, error.status, { error: error.message }, CORS_HEADERS);
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

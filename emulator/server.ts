import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { handleCgi, handleShowQrcode, matchCgiRoute } from "./cgi-bin";
import {
  createRegistry,
  DEFAULT_CALLBACK_DOMAINS,
  DEFAULT_CODE_TTL_SECONDS,
  DEFAULT_HOST,
  DEFAULT_LONGPOLL_MS,
  DEFAULT_MP_API_ORIGIN,
  DEFAULT_OA_CODE_TTL_SECONDS,
  DEFAULT_OA_ENCODING_AES_KEY,
  DEFAULT_OA_PUSH_MODE,
  DEFAULT_OA_PUSH_TOKEN,
  DEFAULT_OA_PUSH_URL,
  DEFAULT_PORT,
  DEFAULT_PUSH_TIMEOUT_MS,
  DEFAULT_QR_TTL_SECONDS,
} from "./config";
import type { OaPushMode } from "./config";
import type { EmulatorContext } from "./context";
import { CONTROL_PREFIX, handleControl } from "./control";
import { readBody, send } from "./http";
import { handleOaAuthorize, handleOaConsent } from "./oa-authorize";
import { handleAvatar, handleIndex, handleOaScanPage, handlePhoneList, handlePhonePage } from "./phone";
import { handleQrconnect, handleQrImage, handleQrLongPoll, handleWxLoginJs } from "./qrconnect";
import { handleJscode2session, handleUrlLink, handleWxa, JSCODE2SESSION_PATH, matchWxaRoute, URL_LINK_PREFIX } from "./mini-program";
import { handleMpPage, handleMpRuntime, MP_PAGE_PREFIX, MP_RUNTIME_PREFIX } from "./mp-page";
import { DEFAULT_MP_CODE_PER_MINUTE } from "./mp-state";
import { watchForRid } from "./openapi";
import { handleSns, matchSnsRoute } from "./sns";
import { EmulatorState } from "./state";
import type { Refusal } from "./state";
import { decodeEncodingAesKey } from "./wx-crypto";

export type StartEmulatorOptions = {
  /** 0 picks a free port. Default 3100. */
  port?: number;
  /** Listen address. Default 127.0.0.1 (this machine only); 0.0.0.0 lets a phone on the LAN reach the phone page. */
  host?: string;
  /** Origin used in links, wxLogin.js and headimgurl. Default http://localhost:<port>. */
  publicUrl?: string;
  /** Origin encoded in QR codes. Default http://<first LAN IPv4>:<port> when listening on all interfaces, else publicUrl. */
  phoneUrl?: string;
  /** Allowed redirect_uri hosts as `host[:port]`. Default ["localhost:3000"]. */
  callbackDomains?: string[];
  qrTtlSeconds?: number;
  codeTtlSeconds?: number;
  longPollMs?: number;
  /** Extra website apps registered in the demo Open Platform account. */
  extraApps?: { appid: string; secret: string; name?: string }[];
  /** Where the Official Account's pushes go. Default http://localhost:3000/api/wechat/events. */
  oaPushUrl?: string;
  /** plaintext, compatible or safe (default). */
  oaPushMode?: OaPushMode;
  /** The site the mini-program page calls. Default http://localhost:3000. */
  mpApiOrigin?: string;
  /** Push token; default "demoPushToken2026". */
  oaPushToken?: string;
  /** 43-character EncodingAESKey; default "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG". */
  oaEncodingAesKey?: string;
  /** How long a push waits for an answer before a retry. Default 5000 (WeChat's 5 s). */
  pushTimeoutMs?: number;
  oaCodeTtlSeconds?: number;
  /** What 拒绝 on the OA consent sheet does. Default "none" (no redirect). */
  oaRefusal?: Refusal;
  /** Start in snapshot mode (OA web auth yields virtual identities). Default false. */
  snapshot?: boolean;
  /** Appids that give no unionid, as apps not bound to the Open Platform account. Default none. */
  unboundApps?: string[];
  /** Receives one line per request (method, path without query, status, ms). Off by default. */
  log?: (line: string) => void;
  /** Sees every request's method, path and headers before it is handled (tests: what the app sends WeChat). */
  onRequest?: (request: { method: string; path: string; headers: IncomingHttpHeaders }) => void;
};

export type RunningEmulator = {
  url: string;
  phoneUrl: string;
  close(): Promise<void>;
};

function findLanIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const lan = addresses?.find((address) => address.family === "IPv4" && !address.internal);
    if (lan) return lan.address;
  }
  return undefined;
}

function trimSlash(origin: string): string {
  return origin.replace(/\/+$/, "");
}

/**
 * Starts the WeChat emulator: a stand-in for open.weixin.qq.com and api.weixin.qq.com on one origin,
 * plus its `/_emulator/` control API. State lives in memory and dies with the server.
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const oaEncodingAesKey = options.oaEncodingAesKey ?? DEFAULT_OA_ENCODING_AES_KEY;
  decodeEncodingAesKey(oaEncodingAesKey);
  const state = new EmulatorState(createRegistry(options.extraApps), {
    qrTtlSeconds: options.qrTtlSeconds ?? DEFAULT_QR_TTL_SECONDS,
    codeTtlSeconds: options.codeTtlSeconds ?? DEFAULT_CODE_TTL_SECONDS,
    refusal: "state-only",
    callbackDomains: [...(options.callbackDomains ?? DEFAULT_CALLBACK_DOMAINS)],
    longPollMs: options.longPollMs ?? DEFAULT_LONGPOLL_MS,
    oaPushUrl: options.oaPushUrl ?? DEFAULT_OA_PUSH_URL,
    oaPushMode: options.oaPushMode ?? DEFAULT_OA_PUSH_MODE,
    oaPushToken: options.oaPushToken ?? DEFAULT_OA_PUSH_TOKEN,
    oaEncodingAesKey,
    pushTimeoutMs: options.pushTimeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS,
    oaRefusal: options.oaRefusal ?? "none",
    oaCodeTtlSeconds: options.oaCodeTtlSeconds ?? DEFAULT_OA_CODE_TTL_SECONDS,
    snapshot: options.snapshot ?? false,
    unboundApps: [...(options.unboundApps ?? [])],
    mpCodePerMinute: DEFAULT_MP_CODE_PER_MINUTE,
    blockedUsers: [],
    mpCodeFormat: "png",
    mpApiOrigin: new URL(options.mpApiOrigin ?? DEFAULT_MP_API_ORIGIN).origin,
    dailyQuota: {},
  });
  const log = options.log;
  // Filled in once the port is known; handlers only run after listen() resolves.
  const ctx: EmulatorContext = { state, publicUrl: "", phoneUrl: "", ...(log ? { log } : {}) };

  const server = createServer((req, res) => {
    const started = Date.now();
    options.onRequest?.({ method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0] ?? "/", headers: req.headers });
    if (log) {
      res.once("finish", () => {
        const path = (req.url ?? "/").split("?")[0];
        log(`${req.method} ${path} ${res.statusCode} ${Date.now() - started}ms`);
      });
    }
    handleRequest(ctx, req, res).catch((error: unknown) => {
      log?.(`error on ${req.method} ${(req.url ?? "/").split("?")[0]}: ${error instanceof Error ? error.message : String(error)}`);
      send(res, 500, "Internal Server Error", { "Content-Type": "text/plain; charset=utf-8" });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  ctx.publicUrl = trimSlash(options.publicUrl ?? `http://localhost:${port}`);
  const host = options.host ?? DEFAULT_HOST;
  // A LAN address in the QR only helps when the emulator listens on it.
  const lanIp = host === "0.0.0.0" || host === "::" ? findLanIpv4() : undefined;
  ctx.phoneUrl = trimSlash(options.phoneUrl ?? (lanIp ? `http://${lanIp}:${port}` : ctx.publicUrl));

  return {
    url: ctx.publicUrl,
    phoneUrl: ctx.phoneUrl,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Held long-polls and timeout faults would otherwise keep close() waiting.
        server.closeAllConnections();
      }),
  };
}

const AVATAR_PATH = /^\/avatar\/([^/]+)\/([^/]+)$/;
const QR_IMAGE_PREFIX = "/connect/qrcode/";

async function handleRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator.invalid");
  const path = url.pathname;
  const method = req.method ?? "GET";

  if (path.startsWith(CONTROL_PREFIX)) return handleControl(ctx, req, res, url);
  if (isApiPath(path)) {
    // Read the body before any handler or fault, so the rid log has it whatever answers (handlers read it again).
    const body = method === "POST" ? await readBody(req).catch(() => "") : "";
    watchForRid(ctx.state, req, res, url, body);
  }

  const snsEndpoint = matchSnsRoute(path);
  if (snsEndpoint) {
    if (method !== "GET" && method !== "POST") return notAllowed(res, "GET, POST");
    return handleSns(ctx, snsEndpoint, req, res, url);
  }
  if (path === JSCODE2SESSION_PATH) {
    if (method !== "GET" && method !== "POST") return notAllowed(res, "GET, POST");
    return handleJscode2session(ctx, req, res, url);
  }
  const wxaEndpoint = matchWxaRoute(path);
  if (wxaEndpoint) {
    if (method !== "GET" && method !== "POST") return notAllowed(res, "GET, POST");
    return handleWxa(ctx, wxaEndpoint, req, res, url);
  }
  const cgiEndpoint = matchCgiRoute(path);
  if (cgiEndpoint) {
    if (method !== "GET" && method !== "POST") return notAllowed(res, "GET, POST");
    return handleCgi(ctx, cgiEndpoint, req, res, url);
  }
  if (path === "/connect/oauth2/consent") {
    if (method !== "POST") return notAllowed(res, "POST");
    return handleOaConsent(ctx, req, res);
  }

  if (method !== "GET" && method !== "HEAD") return notAllowed(res, "GET");
  switch (path) {
    case "/":
      return handleIndex(ctx, res);
    case "/phone":
      return handlePhoneList(ctx, res);
    case "/connect/qrconnect":
      return handleQrconnect(ctx, req, res, url);
    case "/connect/l/qrconnect":
      return handleQrLongPoll(ctx, res, url);
    case "/connect/confirm":
      return handlePhonePage(ctx, res, url);
    case "/connect/zh_CN/htmledition/js/wxLogin.js":
      return handleWxLoginJs(ctx, res);
    case "/connect/oauth2/authorize":
      return handleOaAuthorize(ctx, req, res, url);
    case "/cgi-bin/showqrcode":
      return handleShowQrcode(ctx, res, url);
    case "/oa/scan":
      return handleOaScanPage(ctx, res, url);
    case "/favicon.ico":
      return send(res, 204, "", {});
  }
  if (path.startsWith(MP_PAGE_PREFIX)) return handleMpPage(ctx, res, url, decodeURIComponent(path.slice(MP_PAGE_PREFIX.length)));
  if (path.startsWith(MP_RUNTIME_PREFIX)) return handleMpRuntime(ctx, res, path.slice(MP_RUNTIME_PREFIX.length));
  if (path.startsWith(URL_LINK_PREFIX)) return handleUrlLink(ctx, res, decodeURIComponent(path.slice(URL_LINK_PREFIX.length)));
  if (path.startsWith(QR_IMAGE_PREFIX)) return handleQrImage(ctx, res, decodeURIComponent(path.slice(QR_IMAGE_PREFIX.length)));
  const avatar = AVATAR_PATH.exec(path);
  if (avatar?.[1] && avatar[2]) return handleAvatar(res, decodeURIComponent(avatar[1]), avatar[2]);

  send(res, 404, "Not Found", { "Content-Type": "text/plain; charset=utf-8" });
}

/** api.weixin.qq.com's JSON endpoints, whose errmsg rids the emulator remembers (not showqrcode, an mp.weixin.qq.com page). */
function isApiPath(path: string): boolean {
  return path.startsWith("/sns/") || path.startsWith("/wxa/") || (path.startsWith("/cgi-bin/") && path !== "/cgi-bin/showqrcode");
}

function notAllowed(res: ServerResponse, allow: string): void {
  send(res, 405, "Method Not Allowed", { "Content-Type": "text/plain; charset=utf-8", Allow: allow });
}

import { createServer } from "node:http";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { AddressInfo } from "node:net";
import { startEmulator } from "./server";
import type { RunningEmulator, StartEmulatorOptions } from "./server";
import { OA_APP, WEB_APP } from "./config";
import { readBody } from "./http";
import { computeSignature, decodeEncodingAesKey, decryptMessage } from "./wx-crypto";
import { readXmlField } from "./wx-xml";

/** The callback the tests register, as the Next.js app's Auth.js route would be. */
export const CALLBACK_URL = "http://localhost:3000/api/auth/callback/wechat";

/** Starts an emulator on a random port with the test callback domain; close it in afterAll. */
export function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, host: "127.0.0.1", callbackDomains: ["localhost:3000"], ...options });
}

/**
 * An emulator for one test file: started before its tests, reset before each one (unless
 * `resetEach` is false), closed after them. Read `url` inside a test or a hook.
 */
export function useEmulatorServer(options: StartEmulatorOptions = {}, { resetEach = true }: { resetEach?: boolean } = {}): { readonly url: string } {
  let running: RunningEmulator | undefined;
  const server = {
    get url(): string {
      if (!running) throw new Error("the emulator starts in beforeAll; read its url inside a test or hook");
      return running.url;
    },
  };
  beforeAll(async () => {
    running = await startTestEmulator(options);
  });
  afterAll(() => running?.close());
  if (resetEach) {
    beforeEach(async () => {
      await callControl(server.url, "reset", {});
    });
  }
  return server;
}

export type JsonResponse<T = Record<string, unknown>> = { status: number; headers: Headers; body: T };

/** Calls the control API with an optional JSON body. */
export async function callControl<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST",
): Promise<JsonResponse<T>> {
  const response = await fetch(`${baseUrl}/_emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** Calls an /sns endpoint with GET and decodes its text/plain JSON. */
export async function callSns<T = Record<string, unknown>>(baseUrl: string, path: string, params: Record<string, string>): Promise<JsonResponse<T>> {
  const response = await fetch(`${baseUrl}/sns/${path}?${new URLSearchParams(params)}`);
  return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as T };
}

/** A qrconnect URL on the emulator with the given query. */
export function buildQrconnectUrl(baseUrl: string, params: Record<string, string>): string {
  return `${baseUrl}/connect/qrconnect?${new URLSearchParams(params)}`;
}

/** Opens a QR page and returns its uuid. */
export async function openQr(baseUrl: string, params: Record<string, string> = {}): Promise<{ uuid: string; html: string }> {
  const response = await fetch(
    buildQrconnectUrl(baseUrl, {
      appid: WEB_APP.appid,
      scope: "snsapi_login",
      redirect_uri: CALLBACK_URL,
      state: "st-1",
      ...params,
    }),
  );
  const html = await response.text();
  const uuid = /data-uuid="([^"]+)"/.exec(html)?.[1];
  if (!uuid) throw new Error(`no QR on the page: ${html.slice(0, 200)}`);
  return { uuid, html };
}

/** Runs the QR flow to the end for one user and returns the OAuth code. */
export async function obtainCode(baseUrl: string, options: { appid?: string; user?: string } = {}): Promise<string> {
  const { uuid } = await openQr(baseUrl, { appid: options.appid ?? WEB_APP.appid });
  const confirmed = await callControl<{ code: string }>(baseUrl, `qr/${uuid}/confirm`, { user: options.user ?? "lin" });
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
  return confirmed.body.code;
}

export type TokenBody = {
  access_token: string;
  refresh_token: string;
  openid: string;
  expires_in: number;
  scope: string;
  unionid?: string;
};

/** Logs a user in and exchanges the code for tokens. */
export async function obtainTokens(baseUrl: string, options: { appid?: string; secret?: string; user?: string } = {}): Promise<TokenBody> {
  const appid = options.appid ?? WEB_APP.appid;
  const code = await obtainCode(baseUrl, { appid, ...(options.user ? { user: options.user } : {}) });
  const response = await callSns<TokenBody>(baseUrl, "oauth2/access_token", {
    appid,
    secret: options.secret ?? WEB_APP.secret,
    code,
    grant_type: "authorization_code",
  });
  return response.body;
}

/** A User-Agent of WeChat's in-app browser on iOS; the emulator only needs "MicroMessenger" in it. */
export const WECHAT_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN";

/** Calls a /cgi-bin endpoint: GET with a query, or POST with a JSON (or raw string) body. */
export async function callCgi<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  options: { query?: Record<string, string>; json?: unknown; body?: string; method?: string } = {},
): Promise<JsonResponse<T>> {
  const query = options.query ? `?${new URLSearchParams(options.query)}` : "";
  const body = options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  const response = await fetch(`${baseUrl}/cgi-bin/${path}${query}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
  });
  return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as T };
}

/** Fetches the demo OA's app token from /cgi-bin/token. */
export async function fetchAppToken(baseUrl: string): Promise<string> {
  const response = await callCgi<{ access_token: string }>(baseUrl, "token", {
    query: { grant_type: "client_credential", appid: OA_APP.appid, secret: OA_APP.secret },
  });
  return response.body.access_token;
}

/** Creates a parametric QR code for the demo OA and returns the create answer. */
export async function createOaQr(
  baseUrl: string,
  body: Record<string, unknown> = { expire_seconds: 600, action_name: "QR_STR_SCENE", action_info: { scene: { scene_str: "login_abc" } } },
  token?: string,
): Promise<{ ticket: string; url: string; expire_seconds?: number }> {
  const accessToken = token ?? (await fetchAppToken(baseUrl));
  const response = await callCgi<{ ticket: string; url: string; expire_seconds?: number; errcode?: number }>(baseUrl, "qrcode/create", {
    query: { access_token: accessToken },
    json: body,
  });
  if (!response.body.ticket) throw new Error(`qrcode/create failed: ${JSON.stringify(response.body)}`);
  return response.body;
}

export type ReceivedPush = {
  query: URLSearchParams;
  body: string;
  contentType: string | undefined;
  /** The plaintext message: the body, or the decrypted Encrypt when encrypt_type=aes. */
  message: string;
  signatureOk: boolean;
  /** Undefined when the push was not encrypted. */
  msgSignatureOk: boolean | undefined;
};

export type ReceiverAnswer = { status?: number; body?: string; contentType?: string; delayMs?: number };

export type PushReceiver = {
  url: string;
  pushes: ReceivedPush[];
  /** Decides each answer; `index` counts pushes received so far (0-based). */
  answer: (push: ReceivedPush, index: number) => ReceiverAnswer;
  close(): Promise<void>;
};

/**
 * A stand-in for the app's push webhook on 127.0.0.1: checks `signature` and `msg_signature` and decrypts with
 * the emulator's crypto functions, records every push, and answers whatever `answer` says (after an optional
 * delay, e.g. to sleep past the push timeout).
 */
export async function startPushReceiver(options: { token: string; encodingAesKey: string; appid: string }): Promise<PushReceiver> {
  const aesKey = decodeEncodingAesKey(options.encodingAesKey);
  const receiver: PushReceiver = {
    url: "",
    pushes: [],
    answer: () => ({ body: "success" }),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://receiver.invalid");
      const body = await readBody(req);
      const query = url.searchParams;
      const timestamp = query.get("timestamp") ?? "";
      const nonce = query.get("nonce") ?? "";
      const encrypted = query.get("encrypt_type") === "aes";
      const encrypt = encrypted ? (readXmlField(body, "Encrypt") ?? "") : "";
      let message = body;
      if (encrypted) {
        try {
          message = decryptMessage({ aesKey, appid: options.appid, encrypt }).message;
        } catch {
          message = "";
        }
      }
      const push: ReceivedPush = {
        query,
        body,
        contentType: req.headers["content-type"],
        message,
        signatureOk: query.get("signature") === computeSignature(options.token, timestamp, nonce),
        msgSignatureOk: encrypted ? query.get("msg_signature") === computeSignature(options.token, timestamp, nonce, encrypt) : undefined,
      };
      const index = receiver.pushes.length;
      receiver.pushes.push(push);
      const answer = receiver.answer(push, index);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { "Content-Type": answer.contentType ?? "text/plain; charset=utf-8" });
      res.end(answer.body ?? "");
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/wechat/events`;
  receiver.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  return receiver;
}

import { startEmulator } from "./server";
import type { RunningEmulator, StartEmulatorOptions } from "./server";
import { WEB_APP } from "./config";

/** The callback the tests register, as the Next.js app's Auth.js route would be. */
export const CALLBACK_URL = "http://localhost:3000/api/auth/callback/wechat";

/** Starts an emulator on a random port with the test callback domain; close it in afterAll. */
export function startTestEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ port: 0, host: "127.0.0.1", callbackDomains: ["localhost:3000"], ...options });
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
export async function callSns<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  params: Record<string, string>,
): Promise<JsonResponse<T>> {
  const response = await fetch(`${baseUrl}/sns/${path}?${new URLSearchParams(params)}`);
  return { status: response.status, headers: response.headers, body: JSON.parse(await response.text()) as T };
}

/** A qrconnect URL on the emulator with the given query. */
export function buildQrconnectUrl(baseUrl: string, params: Record<string, string>): string {
  return `${baseUrl}/connect/qrconnect?${new URLSearchParams(params)}`;
}

/** Opens a QR page and returns its uuid. */
export async function openQr(
  baseUrl: string,
  params: Record<string, string> = {},
): Promise<{ uuid: string; html: string }> {
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
export async function obtainTokens(
  baseUrl: string,
  options: { appid?: string; secret?: string; user?: string } = {},
): Promise<TokenBody> {
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

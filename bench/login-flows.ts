/**
 * The two login paths, driven over HTTP the way a browser and a phone would drive them:
 * "ours" (lib/login/ behind /api/wechat/*) and "stock" (the next-auth WeChat
 * provider, registered as `wechat-stock` when WECHAT_STOCK_PROVIDER=1). The WeChat side is the
 * emulator: its QR page gives the uuid, and its control API plays the phone that confirms.
 */
import { performance } from "node:perf_hooks";
import { z } from "zod";
import { findUser } from "../emulator/config";
import { VirtualBrowser } from "./browser";

export type Provider = "ours" | "stock";

export const PROVIDERS: readonly Provider[] = ["ours", "stock"];

/** Virtual WeChat users with a unionid: the stock provider keys accounts on it (undefined without). */
export const BENCH_USERS = ["lin", "zhang", "li"] as const;

export type FlowTarget = { appUrl: string; emulatorUrl: string; timeoutMs: number };

export type LoginResult = { ok: true; callbackMs: number } | { ok: false; reason: string };

/** AUTH_URL is http://, so Auth.js uses the unprefixed cookie name (no `__Secure-`). */
const SESSION_COOKIE = "authjs.session-token";
const RETURN_TO = "/account";
const STOCK_PROVIDER_ID = "wechat-stock";
const QR_UUID = /data-uuid="([^"]+)"/;

const qrViewSchema = z.object({ status: z.string(), redirect: z.string().optional() });
const csrfSchema = z.object({ csrfToken: z.string().min(1) });
const signInRedirectSchema = z.object({ url: z.string() });
const sessionSchema = z.object({ user: z.object({ id: z.string().min(1), name: z.string().nullish() }) });

/** A login that went wrong at a named step; the message is what the report groups failures by. */
class FlowError extends Error {}

function fail(step: string, detail: string): never {
  throw new FlowError(`${step}: ${detail}`);
}

/** Status and Location of a response, with the body drained so the connection can be reused. */
async function describe(response: Response): Promise<string> {
  await response.arrayBuffer().catch(() => undefined);
  const location = response.headers.get("location");
  return `HTTP ${response.status}${location ? ` → ${shortenLocation(location)}` : ""}`;
}

/** Keeps the path and the error-ish parameters of a Location, dropping one-time values. */
function shortenLocation(location: string): string {
  const url = new URL(location, "http://placeholder.invalid");
  const kept = new URLSearchParams();
  for (const key of ["reason", "error", "code"]) {
    const value = url.searchParams.get(key);
    if (value !== null) kept.set(key, key === "code" && value.length > 24 ? "…" : value);
  }
  const query = kept.toString();
  return `${url.pathname}${query ? `?${query}` : ""}`;
}

function locationOf(response: Response, base: string): URL {
  const location = response.headers.get("location");
  if (!location) fail("redirect", `HTTP ${response.status} without Location`);
  return new URL(location, base);
}

/**
 * WeChat's side of the login: load the QR page the app sent the browser to, read the QR's uuid
 * from it, and confirm as `user` through the emulator's control API (the phone). Returns the
 * callback URL WeChat's page would now navigate to.
 */
async function scanAndConfirm(browser: VirtualBrowser, target: FlowTarget, qrconnectUrl: URL, user: string): Promise<string> {
  if (qrconnectUrl.origin !== new URL(target.emulatorUrl).origin) fail("qrconnect", `redirected to ${qrconnectUrl.origin}, not the emulator`);
  const page = await browser.request(qrconnectUrl);
  const html = await page.text();
  if (page.status !== 200) fail("qrconnect", `HTTP ${page.status}`);
  const uuid = QR_UUID.exec(html)?.[1];
  if (!uuid) fail("qrconnect", `no QR on the page (${html.includes("redirect_uri") ? "redirect_uri refused" : "unexpected page"})`);

  const confirm = await fetch(`${target.emulatorUrl}/_emulator/qr/${encodeURIComponent(uuid)}/confirm`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user }),
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  const body: unknown = await confirm.json().catch(() => undefined);
  if (confirm.status !== 200) fail("confirm", `HTTP ${confirm.status} ${JSON.stringify(body)}`);
  const view = qrViewSchema.safeParse(body);
  if (!view.success || !view.data.redirect) fail("confirm", "answer has no redirect");
  return view.data.redirect;
}

/**
 * Follows WeChat's redirect to the app's callback, timed from the request to the end of the
 * answer: this is where each path exchanges the code, reads the profile and opens the session.
 */
async function runCallback(browser: VirtualBrowser, target: FlowTarget, callbackUrl: string, expectedStatuses: readonly number[]): Promise<number> {
  if (new URL(callbackUrl).origin !== new URL(target.appUrl).origin) fail("callback", `WeChat redirected to ${new URL(callbackUrl).origin}`);
  const started = performance.now();
  const response = await browser.request(callbackUrl);
  await response.arrayBuffer();
  const callbackMs = performance.now() - started;

  const location = response.headers.get("location");
  const landed = location ? new URL(location, target.appUrl).pathname : undefined;
  if (!expectedStatuses.includes(response.status) || landed !== RETURN_TO) fail("callback", await describe(response));
  if (!browser.jar.getCookiesSync(target.appUrl).some((cookie) => cookie.key === SESSION_COOKIE)) fail("callback", `no ${SESSION_COOKIE} cookie`);
  return callbackMs;
}

/** The signed-in check a page would make: Auth.js's session endpoint must name the WeChat user. */
async function checkSession(browser: VirtualBrowser, target: FlowTarget, user: string): Promise<void> {
  const response = await browser.request(`${target.appUrl}/api/auth/session`);
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status !== 200) fail("session", `HTTP ${response.status}`);
  const session = sessionSchema.safeParse(body);
  if (!session.success) fail("session", "no user in /api/auth/session");
  const nickname = findUser(user)?.nickname;
  if (session.data.user.name !== nickname) fail("session", `signed in as ${session.data.user.name ?? "(no name)"}, expected ${nickname}`);
}

/** Our path: GET /api/wechat/login → qrconnect → confirm → /api/wechat/callback (303 + session cookie). */
async function loginWithOurs(browser: VirtualBrowser, target: FlowTarget, user: string): Promise<number> {
  const begin = await browser.request(`${target.appUrl}/api/wechat/login?app=web&returnTo=${encodeURIComponent(RETURN_TO)}`);
  if (begin.status !== 302) fail("begin", await describe(begin));
  const qrconnectUrl = locationOf(begin, target.appUrl);
  await begin.arrayBuffer();
  const callbackUrl = await scanAndConfirm(browser, target, qrconnectUrl, user);
  const callbackMs = await runCallback(browser, target, callbackUrl, [303]);
  await checkSession(browser, target, user);
  return callbackMs;
}

/**
 * The stock path, as Auth.js v5's client `signIn()` drives it: CSRF token, then a form POST that,
 * with `X-Auth-Return-Redirect`, answers `{url}` instead of a 302.
 */
async function loginWithStock(browser: VirtualBrowser, target: FlowTarget, user: string): Promise<number> {
  const csrfResponse = await browser.request(`${target.appUrl}/api/auth/csrf`);
  const csrf = csrfSchema.safeParse(await csrfResponse.json().catch(() => undefined));
  if (csrfResponse.status !== 200 || !csrf.success) fail("csrf", `HTTP ${csrfResponse.status}`);

  const signIn = await browser.request(`${target.appUrl}/api/auth/signin/${STOCK_PROVIDER_ID}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-auth-return-redirect": "1" },
    body: new URLSearchParams({ csrfToken: csrf.data.csrfToken, callbackUrl: RETURN_TO }).toString(),
  });
  let qrconnectUrl: URL;
  if (signIn.status === 200) {
    const answer = signInRedirectSchema.safeParse(await signIn.json().catch(() => undefined));
    if (!answer.success) fail("signin", "HTTP 200 without {url}");
    qrconnectUrl = new URL(answer.data.url, target.appUrl);
  } else if (signIn.status === 302) {
    qrconnectUrl = locationOf(signIn, target.appUrl);
    await signIn.arrayBuffer();
  } else {
    fail("signin", await describe(signIn));
  }
  if (qrconnectUrl.origin === new URL(target.appUrl).origin) fail("signin", `sent back to the app: ${shortenLocation(qrconnectUrl.toString())}`);

  const callbackUrl = await scanAndConfirm(browser, target, qrconnectUrl, user);
  const callbackMs = await runCallback(browser, target, callbackUrl, [302, 303]);
  await checkSession(browser, target, user);
  return callbackMs;
}

/** One complete login in a fresh browser; failures are returned with the step that broke, never thrown. */
export async function runLogin(provider: Provider, target: FlowTarget, user: string): Promise<LoginResult> {
  const browser = new VirtualBrowser(target.timeoutMs);
  try {
    const callbackMs = provider === "ours" ? await loginWithOurs(browser, target, user) : await loginWithStock(browser, target, user);
    return { ok: true, callbackMs };
  } catch (error) {
    if (error instanceof FlowError) return { ok: false, reason: error.message };
    return { ok: false, reason: `transport: ${describeError(error)}` };
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message})` : "";
  return `${error.name === "TimeoutError" ? "timeout" : error.message}${cause}`;
}

/**
 * The sign-in flows' own defences, played as an attacker would: bursts of QR codes and login
 * states, streams held open, malformed ticket ids, a confirmed ticket redeemed late, and a
 * browser whose binding cookie and previous session outlive a new sign-in. Route handlers get
 * real Request objects; the Pages events route is served over real HTTP. On the embedded
 * database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { getCookieParser } from "next/dist/server/api-utils/get-cookie-parser";
import { createServer, get as httpGet, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openidFor } from "@/emulator/config";
import { GET as getTicket } from "@/app/api/login-tickets/[id]/route";
import { POST as redeem } from "@/app/api/login-tickets/[id]/redeem/route";
import { POST as createTicket } from "@/app/api/login-tickets/route";
import { POST as beginLogin } from "@/app/api/wechat/login/route";
import eventsHandler from "@/pages/api/login-tickets/[id]/events";
import { bindingCookieName, sessionCookieName } from "@/lib/auth/cookies";
import { randomToken } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { createSessionForUser } from "@/lib/db/sessions";
import { DEMO_OFFICIAL_ACCOUNT, reloadEnv } from "@/lib/env";
import { PEER_HEADER } from "@/lib/peer-address";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { confirmTicket, recordScan } from "./follow-to-login";

const ORIGIN = "http://localhost:3997";
const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

async function stats(): Promise<Record<string, number>> {
  return (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as Record<string, number>;
}

function withLimits(values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
  reloadEnv();
}

function cookieHeader(cookies: Record<string, string | undefined>): string {
  return Object.entries(cookies)
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}

function request(path: string, options: { method?: string; ip?: string; cookies?: Record<string, string | undefined>; body?: unknown } = {}): NextRequest {
  const headers = new Headers({ "content-type": "application/json", [PEER_HEADER]: options.ip ?? "198.51.100.20", "user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
  const cookie = cookieHeader(options.cookies ?? {});
  if (cookie) headers.set("cookie", cookie);
  return new NextRequest(`${ORIGIN}${path}`, {
    method: options.method ?? "GET",
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
}

/** The value a Set-Cookie of `name` carries on `response`, and its Max-Age. */
function setCookie(response: Response, name: string): { value: string; maxAge: number | undefined } | undefined {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const index = pair!.indexOf("=");
    if (pair!.slice(0, index) !== name) continue;
    const maxAge = attributes.map((part) => /^\s*max-age=(\d+)/i.exec(part)?.[1]).find(Boolean);
    return { value: pair!.slice(index + 1), maxAge: maxAge ? Number(maxAge) : undefined };
  }
  return undefined;
}

/** A browser that opened the follow-to-login QR: its binding cookie and its ticket. */
async function browserWithTicket(ip = "198.51.100.20") {
  const response = await createTicket(request("/api/login-tickets", { method: "POST", ip, body: { returnTo: "/account" } }));
  expect(response.status).toBe(201);
  const binding = setCookie(response, bindingCookieName())!.value;
  const ticket = (await response.json()) as { id: string; matchCode: string };
  return { binding, ticket };
}

/** Scans and confirms `ticketId` on the phone as 林晓. */
async function confirmOnPhone(ticketId: string, matchCode: string): Promise<void> {
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticketId } });
  const scan = await recordScan(scene, openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"));
  if (scan.kind !== "confirm_link") throw new Error(`scan: ${scan.kind}`);
  expect(await confirmTicket(scan.confirmToken, matchCode)).toBe("confirmed");
}

/** The Pages events route on a real HTTP server, with the helpers Next adds to req/res. */
let server: Server;
let serverUrl = "";
function startEventsServer(): Promise<void> {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/api\/login-tickets\/([^/]*)\/events$/.exec(req.url ?? "");
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
    // As Next's API resolver does: the query, and the cookies through Next's own parser.
    Object.assign(req, { query: { id: match ? decodeURIComponent(match[1]!) : "" }, cookies: getCookieParser(req.headers)() });
    Object.assign(res, {
      status(code: number) {
        res.statusCode = code;
        return res;
      },
    });
    void (eventsHandler as unknown as (q: IncomingMessage, s: ServerResponse) => Promise<void>)(req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

/** Opens a stream over its own socket and waits for its first status event; `close` drops the socket. */
function openStream(ticketId: string, binding: string): Promise<{ status: number; retryAfter: string | null; text: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpGet(`${serverUrl}/api/login-tickets/${encodeURIComponent(ticketId)}/events`, { headers: { cookie: `${bindingCookieName()}=${binding}` }, agent: false }, (incoming) => {
      let text = "";
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        const retryAfter = incoming.headers["retry-after"];
        resolve({ status: incoming.statusCode ?? 0, retryAfter: typeof retryAfter === "string" ? retryAfter : null, text, close: () => outgoing.destroy() });
      };
      incoming.setEncoding("utf8");
      incoming.on("data", (chunk: string) => {
        text += chunk;
        if (incoming.statusCode === 200 && text.includes("event: status")) settle();
      });
      incoming.on("end", settle);
    });
    outgoing.on("error", reject);
  });
}

describe.each(testDatabases())("sign-in defences on $name", (database) => {
  beforeAll(async () => {
    await database.setUp();
    await startEventsServer();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await database.tearDown();
  });
  beforeEach(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    await (await db()).limitHit.deleteMany({});
    (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const name of ["LIMIT_LOGIN_PER_IP", "LIMIT_LOGIN_PER_BROWSER", "LIMIT_STREAMS_PER_IP", "LIMIT_STREAMS_PER_BROWSER"]) vi.stubEnv(name, undefined);
    reloadEnv();
  });

  it("a burst of QR requests from one browser reuses its waiting ticket: one qrcode/create at WeChat", async () => {
    const { binding, ticket } = await browserWithTicket();
    const before = (await stats())["cgi-bin/qrcode/create"];
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const response = await createTicket(request("/api/login-tickets", { method: "POST", cookies: { [bindingCookieName()]: binding }, body: { returnTo: "/account" } }));
      expect(response.status).toBeLessThan(300);
      ids.add(((await response.json()) as { id: string }).id);
    }
    expect([...ids]).toEqual([ticket.id]);
    expect((await stats())["cgi-bin/qrcode/create"]).toBe(before);
  });

  it("cookie-less QR requests from one IP are refused past the limit with 429, Retry-After and a localized message", async () => {
    withLimits({ LIMIT_LOGIN_PER_IP: "3" });
    for (let i = 0; i < 3; i++) {
      expect((await createTicket(request("/api/login-tickets", { method: "POST", ip: "203.0.113.50", body: {} }))).status).toBe(201);
    }
    const before = (await stats())["cgi-bin/qrcode/create"];
    const refused = await createTicket(request("/api/login-tickets", { method: "POST", ip: "203.0.113.50", body: {} }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: string; message: string; retryAfterSeconds: number };
    expect(body.error).toBe("rate_limited");
    expect(body.message).toMatch(/分钟|秒/);
    expect((await stats())["cgi-bin/qrcode/create"]).toBe(before);
    // Another address is not affected.
    expect((await createTicket(request("/api/login-tickets", { method: "POST", ip: "203.0.113.51", body: {} }))).status).toBe(201);
  });

  it("login states are limited per browser too", async () => {
    withLimits({ LIMIT_LOGIN_PER_BROWSER: "2" });
    const binding = randomToken(32);
    const begin = () => beginLogin(request("/api/wechat/login", { method: "POST", cookies: { [bindingCookieName()]: binding }, body: { app: "web" } }));
    expect((await begin()).status).toBe(200);
    expect((await begin()).status).toBe(200);
    const refused = await begin();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("open live-status streams are limited per browser, and a closed stream gives its place back", async () => {
    withLimits({ LIMIT_STREAMS_PER_BROWSER: "2" });
    const { binding, ticket } = await browserWithTicket();
    const first = await openStream(ticket.id, binding);
    const second = await openStream(ticket.id, binding);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openStream(ticket.id, binding);
    expect(third.status).toBe(429);
    expect(Number(third.retryAfter)).toBeGreaterThan(0);
    expect(third.text).toMatch(/秒|分钟/);

    first.close();
    const prisma = await db();
    // The lease goes when the server sees the socket close.
    for (let count = 2; count >= 2; await new Promise((resolve) => setTimeout(resolve, 20))) {
      count = await prisma.limitHit.count({ where: { bucket: "stream.browser" } });
    }
    const fourth = await openStream(ticket.id, binding);
    expect(fourth.status).toBe(200);
    second.close();
    fourth.close();
  });

  it("malformed ticket ids get 404 before the database, on every ticket route, with nothing logged as an error", async () => {
    const { binding } = await browserWithTicket();
    const errors = vi.spyOn(console, "error");
    const cookies = { [bindingCookieName()]: binding };
    for (const id of ["\u0000", "%00", "x".repeat(5000), "' OR 1=1 --"]) {
      const status = await getTicket(request(`/api/login-tickets/x`, { cookies }), { params: Promise.resolve({ id }) });
      expect(status.status).toBe(404);
      const redeemed = await redeem(request(`/api/login-tickets/x/redeem`, { method: "POST", cookies }), { params: Promise.resolve({ id }) });
      expect(redeemed.status).toBe(404);
      expect((await openStream(id, binding)).status).toBe(404);
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it("a confirmed ticket left unredeemed reads expired after the redeem window", async () => {
    const { binding, ticket } = await browserWithTicket();
    await confirmOnPhone(ticket.id, ticket.matchCode);
    const prisma = await db();
    await prisma.loginTicket.update({ where: { id: ticket.id }, data: { confirmedAt: new Date(Date.now() - 3 * 60_000) } });
    const cookies = { [bindingCookieName()]: binding };
    const status = await getTicket(request(`/api/login-tickets/${ticket.id}`, { cookies }), { params: Promise.resolve({ id: ticket.id }) });
    expect(((await status.json()) as { status: string }).status).toBe("expired");
    const late = await redeem(request(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies }), { params: Promise.resolve({ id: ticket.id }) });
    expect(late.status).toBe(409);
    expect(await prisma.session.count()).toBe(0);
  });

  it("a redeem rotates the binding cookie (shorter life) and ends the browser's previous session", async () => {
    const prisma = await db();
    const { binding, ticket } = await browserWithTicket();
    // The browser was signed in before (say as someone else, on a shared computer).
    const other = await prisma.user.create({ data: { name: "前一位" } });
    const previous = await createSessionForUser(other.id, { userAgent: null, ip: null, method: "wechat:website", maxAgeSeconds: 3600 });
    await confirmOnPhone(ticket.id, ticket.matchCode);
    // Followers come without a nickname (WeChat since 2021); this one signed in on the website before.
    const { userId } = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    await prisma.user.update({ where: { id: userId! }, data: { name: "林晓" } });
    const response = await redeem(
      request(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies: { [bindingCookieName()]: binding, [sessionCookieName()]: previous.sessionToken } }),
      { params: Promise.resolve({ id: ticket.id }) },
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { nickname?: string }).nickname).toBe("林晓");
    const rotated = setCookie(response, bindingCookieName());
    expect(rotated?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated?.value).not.toBe(binding);
    expect(rotated?.maxAge).toBeLessThanOrEqual(24 * 3600);
    expect(await prisma.session.findUnique({ where: { sessionToken: previous.sessionToken } })).toBeNull();
    expect(await prisma.session.count({ where: { sessionToken: setCookie(response, sessionCookieName())!.value } })).toBe(1);
  });
});

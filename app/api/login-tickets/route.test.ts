/**
 * POST /api/login-tickets as a browser and an attacker use it: a new browser gets its binding
 * cookie and a QR; reloads reuse the waiting ticket instead of spending WeChat's daily QR quota;
 * bursts are refused with 429. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bindingCookieName } from "@/lib/auth/cookies";
import { sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withDefaultLimits, withEnv } from "@/lib/test/env";
import { routeRequest, setCookie } from "@/lib/test/requests";
import { browserWithTicket } from "@/lib/test/tickets";
import { POST as createTicket } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

describe.each(testDatabases())("POST /api/login-tickets on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await emulator.reset();
    await (await db()).limitHit.deleteMany({});
  });
  afterEach(() => withDefaultLimits());

  it("gives a new browser its binding cookie and a QR of a ticket bound to it, and nothing that names the scanner", async () => {
    const response = await createTicket(routeRequest("/api/login-tickets", { method: "POST", body: { returnTo: "/account?tab=sessions" } }));
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const binding = setCookie(response, bindingCookieName());
    expect(binding?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["attemptId", "expiresAt", "expiresIn", "id", "matchCode", "qrImage", "qrUrl", "status", "surface"]);
    expect(body).toMatchObject({ status: "waiting", qrImage: expect.stringMatching(/^data:image\/png;base64,/) });
    const row = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: body.id as string } });
    expect(row).toMatchObject({ bindingHash: sha256(binding!.value), returnTo: "/account?tab=sessions", requestIp: "198.51.100.20" });
    // The sign-in reference the page shows if this ends without a sign-in: the stored attempt, not a bearer value.
    expect(body.attemptId).toBe(row.attemptId);
    expect(body.attemptId).not.toBe(body.id);
  });

  it("when WeChat refuses the QR (45009), the answer names the stored failed attempt as the sign-in reference", async () => {
    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 45009 });
    const response = await createTicket(routeRequest("/api/login-tickets", { method: "POST", headers: { "accept-language": "en" }, body: {} }));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: string; message: string; attemptId?: string };
    expect(body.error).toBe("45009");
    expect(body.attemptId).toMatch(/^[\w-]{16}$/);
    const row = await (await db()).loginTicket.findFirstOrThrow({ where: { attemptId: body.attemptId! } });
    expect(row).toMatchObject({ status: "error", errorCode: "45009", errcode: 45009 });
  });

  it("a burst of QR requests from one browser reuses its waiting ticket: one qrcode/create at WeChat", async () => {
    const { binding, ticket } = await browserWithTicket();
    const before = (await emulator.stats())["cgi-bin/qrcode/create"];
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const response = await createTicket(
        routeRequest("/api/login-tickets", { method: "POST", cookies: { [bindingCookieName()]: binding }, body: { returnTo: "/account" } }),
      );
      expect(response.status).toBeLessThan(300);
      ids.add(((await response.json()) as { id: string }).id);
    }
    expect([...ids]).toEqual([ticket.id]);
    expect((await emulator.stats())["cgi-bin/qrcode/create"]).toBe(before);
  });

  it("cookie-less QR requests from one IP are refused past the limit with 429, Retry-After and a localized message", async () => {
    withEnv({ LIMIT_LOGIN_PER_IP: "3" });
    for (let i = 0; i < 3; i++) {
      expect((await createTicket(routeRequest("/api/login-tickets", { method: "POST", ip: "203.0.113.50", body: {} }))).status).toBe(201);
    }
    const before = (await emulator.stats())["cgi-bin/qrcode/create"];
    const refused = await createTicket(routeRequest("/api/login-tickets", { method: "POST", ip: "203.0.113.50", body: {} }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await refused.json()) as { error: string; message: string; retryAfterSeconds: number };
    expect(body.error).toBe("rate_limited");
    expect(body.message).toMatch(/分钟|秒/);
    expect((await emulator.stats())["cgi-bin/qrcode/create"]).toBe(before);
    // Another address is not affected.
    expect((await createTicket(routeRequest("/api/login-tickets", { method: "POST", ip: "203.0.113.51", body: {} }))).status).toBe(201);
  });

  it("refuses another site's page (403) and a body with extra fields (400) without a ticket", async () => {
    const prisma = await db();
    const before = await prisma.loginTicket.count();
    const refused = await createTicket(routeRequest("/api/login-tickets", { method: "POST", body: {}, headers: { origin: "https://evil.example" } }));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: "cross_origin", message: expect.any(String) });
    const invalid = await createTicket(routeRequest("/api/login-tickets", { method: "POST", body: { returnTo: "/account", userId: "someone" } }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: "invalid_request", message: expect.any(String) });
    expect(await prisma.loginTicket.count()).toBe(before);
  });
});

/**
 * POST /api/login-tickets/<id>/redeem, where a confirmed ticket becomes this browser's session:
 * once, in time, for the browser holding the binding, which is then rotated while the browser's
 * previous session ends. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GET as getTicket } from "@/app/api/login-tickets/[id]/route";
import { bindingCookieName, sessionCookieName } from "@/lib/auth/cookies";
import { db } from "@/lib/db/client";
import { createSessionForUser } from "@/lib/db/sessions";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { routeRequest, setCookie } from "@/lib/test/requests";
import { browserWithTicket, confirmOnPhone } from "@/lib/test/tickets";
import { POST as redeem } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

describe.each(testDatabases())("POST /api/login-tickets/<id>/redeem on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("malformed ticket ids get 404 before the database, with nothing logged as an error", async () => {
    const { binding } = await browserWithTicket();
    const errors = vi.spyOn(console, "error");
    const cookies = { [bindingCookieName()]: binding };
    for (const id of ["\u0000", "%00", "x".repeat(5000), "' OR 1=1 --"]) {
      const redeemed = await redeem(routeRequest(`/api/login-tickets/x/redeem`, { method: "POST", cookies }), { params: Promise.resolve({ id }) });
      expect(redeemed.status).toBe(404);
    }
    expect(errors).not.toHaveBeenCalled();
  });

  it("a confirmed ticket left unredeemed reads expired after the redeem window", async () => {
    const { binding, ticket } = await browserWithTicket();
    await confirmOnPhone(ticket.id, ticket.matchCode);
    const prisma = await db();
    await prisma.loginTicket.update({ where: { id: ticket.id }, data: { confirmedAt: new Date(Date.now() - 3 * 60_000) } });
    const cookies = { [bindingCookieName()]: binding };
    const status = await getTicket(routeRequest(`/api/login-tickets/${ticket.id}`, { cookies }), { params: Promise.resolve({ id: ticket.id }) });
    expect(((await status.json()) as { status: string }).status).toBe("expired");
    const late = await redeem(routeRequest(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies }), {
      params: Promise.resolve({ id: ticket.id }),
    });
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
      routeRequest(`/api/login-tickets/${ticket.id}/redeem`, {
        method: "POST",
        cookies: { [bindingCookieName()]: binding, [sessionCookieName()]: previous.sessionToken },
      }),
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

  it("redeems once: a second redeem, and a redeem from another site's page, open no session", async () => {
    const prisma = await db();
    const { binding, ticket } = await browserWithTicket();
    await confirmOnPhone(ticket.id, ticket.matchCode);
    const cookies = { [bindingCookieName()]: binding };
    const crossSite = await redeem(
      routeRequest(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies, headers: { origin: "https://evil.example" } }),
      {
        params: Promise.resolve({ id: ticket.id }),
      },
    );
    expect(crossSite.status).toBe(403);
    expect(setCookie(crossSite, sessionCookieName())).toBeUndefined();
    const sessionsBefore = await prisma.session.count();
    const first = await redeem(routeRequest(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies }), {
      params: Promise.resolve({ id: ticket.id }),
    });
    expect(first.status).toBe(200);
    const second = await redeem(routeRequest(`/api/login-tickets/${ticket.id}/redeem`, { method: "POST", cookies }), {
      params: Promise.resolve({ id: ticket.id }),
    });
    expect(second.status).toBe(409);
    expect(await second.json()).toEqual({ error: "already_redeemed", message: expect.any(String) });
    expect(setCookie(second, sessionCookieName())).toBeUndefined();
    expect(await prisma.session.count()).toBe(sessionsBefore + 1);
  });
});

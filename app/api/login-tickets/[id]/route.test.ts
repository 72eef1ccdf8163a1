/**
 * GET /api/login-tickets/<id>, the waiting page's polling fallback: its own browser reads the
 * status; any other browser, and any id of the wrong shape, gets 404 and learns nothing. On the
 * embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken } from "@/lib/crypto";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { routeRequest } from "@/lib/test/requests";
import { browserWithTicket } from "@/lib/test/tickets";
import { GET as getTicket } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

describe.each(testDatabases())("GET /api/login-tickets/<id> on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("shows the ticket's status to its own browser only", async () => {
    const { binding, ticket } = await browserWithTicket();
    const params = { params: Promise.resolve({ id: ticket.id }) };
    const own = await getTicket(routeRequest(`/api/login-tickets/${ticket.id}`, { cookies: { [bindingCookieName()]: binding } }), params);
    expect(own.status).toBe(200);
    expect(own.headers.get("cache-control")).toBe("no-store");
    expect(await own.json()).toMatchObject({ id: ticket.id, status: "waiting", matchCode: ticket.matchCode });

    const other = await getTicket(routeRequest(`/api/login-tickets/${ticket.id}`, { cookies: { [bindingCookieName()]: randomToken(32) } }), {
      params: Promise.resolve({ id: ticket.id }),
    });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: "not_found", message: expect.any(String) });
    const none = await getTicket(routeRequest(`/api/login-tickets/${ticket.id}`), { params: Promise.resolve({ id: ticket.id }) });
    expect(none.status).toBe(404);
  });

  it("malformed ticket ids get 404 before the database, with nothing logged as an error", async () => {
    const { binding } = await browserWithTicket();
    const errors = vi.spyOn(console, "error");
    const cookies = { [bindingCookieName()]: binding };
    for (const id of ["\u0000", "%00", "x".repeat(5000), "' OR 1=1 --"]) {
      const status = await getTicket(routeRequest(`/api/login-tickets/x`, { cookies }), { params: Promise.resolve({ id }) });
      expect(status.status).toBe(404);
    }
    expect(errors).not.toHaveBeenCalled();
  });
});

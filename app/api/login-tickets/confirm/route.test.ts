/**
 * POST /api/login-tickets/confirm, the phone's answer on the confirm page (a plain form post):
 * the right number confirms, a wrong one or a cancel ends the ticket, a bad link changes nothing,
 * and a failure on our side asks the same question again. Against the emulator's Official
 * Account, on the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { NextRequest } from "next/server";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openidFor } from "@/emulator/config";
import { randomToken } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { recordScan } from "@/lib/login/follow-to-login";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { ROUTE_ORIGIN } from "@/lib/test/requests";
import { startTicket } from "@/lib/test/tickets";
import { POST } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

function answer(fields: Record<string, string>): NextRequest {
  return new NextRequest(`${ROUTE_ORIGIN}/api/login-tickets/confirm`, { method: "POST", body: new URLSearchParams(fields) });
}

/** A ticket scanned by 林晓's phone: its confirm token and right number, and its status as stored. */
async function scannedTicket() {
  const { ticket, scene } = await startTicket();
  const scan = await recordScan(scene, openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"));
  if (scan.kind !== "confirm_link") throw new Error(`scan: ${scan.kind}`);
  const status = async () => (await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status;
  return { token: scan.confirmToken, matchCode: ticket.matchCode, status };
}

describe.each(testDatabases())("POST /api/login-tickets/confirm on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("confirms with the right number, and the link is then spent", async () => {
    const { token, matchCode, status } = await scannedTicket();
    const response = await POST(answer({ t: token, code: matchCode, intent: "confirm" }));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/confirm?result=confirmed`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await status()).toBe("confirmed");
    expect((await POST(answer({ t: token, code: matchCode, intent: "confirm" }))).headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/confirm?result=invalid`);
  });

  it("cancels for good on a wrong number, and on the person's cancel", async () => {
    const wrong = await scannedTicket();
    const picked = wrong.matchCode === "10" ? "11" : "10";
    expect((await POST(answer({ t: wrong.token, code: picked, intent: "confirm" }))).headers.get("location")).toBe(
      `${ROUTE_ORIGIN}/login/confirm?result=mismatch`,
    );
    expect(await wrong.status()).toBe("cancelled");

    const declined = await scannedTicket();
    expect((await POST(answer({ t: declined.token, intent: "cancel" }))).headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/confirm?result=cancelled`);
    expect(await declined.status()).toBe("cancelled");
  });

  it("changes nothing for a malformed or unknown link, and logs no error", async () => {
    const { matchCode, status } = await scannedTicket();
    const errors = vi.spyOn(console, "error");
    for (const fields of [
      { t: "not-a-token", code: matchCode, intent: "confirm" },
      { t: randomToken(32), code: matchCode, intent: "confirm" },
      { t: randomToken(32), code: "1e2", intent: "confirm" },
      {} as Record<string, string>,
    ]) {
      expect((await POST(answer(fields))).headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/confirm?result=invalid`);
    }
    expect(await status()).toBe("scanned");
    expect(errors).not.toHaveBeenCalled();
  });

  it("asks again, with nothing changed, when WeChat fails on our side", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { token, matchCode, status } = await scannedTicket();
    await emulator.control("faults", { endpoint: "cgi-bin/user/info", status: 503 });
    const response = await POST(answer({ t: token, code: matchCode, intent: "confirm" }));
    expect(response.headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/confirm?t=${token}&retry=1`);
    expect(await status()).toBe("scanned");
    expect(errors.mock.calls.map(([line]) => (JSON.parse(String(line)) as { event: string }).event)).toContain("request.unexpected");
    // The same answer once WeChat is back.
    expect((await POST(answer({ t: token, code: matchCode, intent: "confirm" }))).headers.get("location")).toBe(
      `${ROUTE_ORIGIN}/login/confirm?result=confirmed`,
    );
  });
});

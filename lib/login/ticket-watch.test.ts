/**
 * Watching a ticket, as the events stream does: what a waiting page is sent, in order, and that
 * nothing is sent for a ticket that is not this browser's; and, through the Pages events route
 * served over real HTTP, the lease each open stream holds. On PGlite (in-process bus) and, when
 * configured, PostgreSQL (LISTEN/NOTIFY).
 */
import { getCookieParser } from "next/dist/server/api-utils/get-cookie-parser";
import { createServer, get as httpGet, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openidFor } from "@/emulator/config";
import eventsHandler from "@/pages/api/login-tickets/[id]/events";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { PEER_HEADER } from "@/lib/peer-address";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withDefaultLimits, withEnv } from "@/lib/test/env";
import { browserWithTicket, startTicket } from "@/lib/test/tickets";
import { closeLoginBus } from "./bus";
import { confirmTicket, recordScan } from "./follow-to-login";
import { openWatchCount, watchTicket, type WatchSink } from "./ticket-watch";

// createLoginTicket and confirmTicket call the Official Account API.
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

/** A response body as the browser would read it. */
class RecordingSink implements WatchSink {
  text = "";
  ended = false;
  write(chunk: string): void {
    if (this.ended) throw new Error("write after end");
    this.text += chunk;
  }
  end(): void {
    this.ended = true;
  }
  /** The `status` of each event, in order. */
  statuses(): string[] {
    return [...this.text.matchAll(/^event: status\ndata: (.*)$/gm)].map((match) => (JSON.parse(match[1]!) as { status: string }).status);
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function newTicket() {
  const { ticket, bindingHash, scene } = await startTicket();
  return { ticket, bindingHash, scene };
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
    const outgoing = httpGet(
      `${serverUrl}/api/login-tickets/${encodeURIComponent(ticketId)}/events`,
      { headers: { cookie: `${bindingCookieName()}=${binding}` }, agent: false },
      (incoming) => {
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
      },
    );
    outgoing.on("error", reject);
  });
}

describe.each(testDatabases())("watching a login ticket on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(async () => {
    // The bus of this database (LISTEN connection) goes with it.
    await closeLoginBus();
    await database.tearDown();
  });

  it("sends the current status, then each change as it happens, and ends after the final one", async () => {
    const { ticket, bindingHash, scene } = await newTicket();
    const sink = new RecordingSink();
    await watchTicket(ticket.id, bindingHash, sink);
    expect(sink.text.startsWith("retry: 2000\n\n")).toBe(true);
    expect(sink.statuses()).toEqual(["waiting"]);
    expect(openWatchCount()).toBe(1);

    const scan = await recordScan(scene, openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"));
    if (scan.kind !== "confirm_link") throw new Error(`scan: ${scan.kind}`);
    await waitFor(() => sink.statuses().length === 2);
    expect(await confirmTicket(scan.confirmToken, ticket.matchCode)).toBe("confirmed");
    await waitFor(() => sink.ended);

    expect(sink.statuses()).toEqual(["waiting", "scanned", "confirmed"]);
    expect(openWatchCount()).toBe(0);
  });

  it("answers another browser's watch with not_found and writes nothing", async () => {
    const { ticket } = await newTicket();
    const sink = new RecordingSink();
    await expect(watchTicket(ticket.id, sha256(randomToken(32)), sink)).rejects.toMatchObject({ code: "not_found" });
    await expect(watchTicket(ticket.id, undefined, sink)).rejects.toBeInstanceOf(AppError);
    await expect(watchTicket("no-such-ticket", sha256(randomToken(32)), sink)).rejects.toBeInstanceOf(AppError);
    expect(sink.text).toBe("");
    expect(openWatchCount()).toBe(0);
  });

  it("marks the ticket expired at its expiry and tells the page", async () => {
    const { ticket, bindingHash } = await newTicket();
    const prisma = await db();
    await prisma.loginTicket.update({ where: { id: ticket.id }, data: { expiresAt: new Date(Date.now() + 300) } });
    const sink = new RecordingSink();
    await watchTicket(ticket.id, bindingHash, sink);
    await waitFor(() => sink.ended);

    expect(sink.statuses()).toEqual(["waiting", "expired"]);
    expect((await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("expired");
  });

  it("a ticket already final is sent once and the stream ends at once", async () => {
    const { ticket, bindingHash } = await newTicket();
    await (await db()).loginTicket.update({ where: { id: ticket.id }, data: { status: "cancelled" } });
    const sink = new RecordingSink();
    await watchTicket(ticket.id, bindingHash, sink);
    expect(sink.statuses()).toEqual(["cancelled"]);
    expect(sink.ended).toBe(true);
    expect(openWatchCount()).toBe(0);
  });

  it("after close(), later changes are not written", async () => {
    const { ticket, bindingHash, scene } = await newTicket();
    const sink = new RecordingSink();
    const watch = await watchTicket(ticket.id, bindingHash, sink);
    watch.close();
    expect(sink.ended).toBe(true);
    expect(openWatchCount()).toBe(0);
    expect((await recordScan(scene, openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"))).kind).toBe("confirm_link");
    // Long enough for a NOTIFY round trip; a write after end would throw in the sink.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sink.statuses()).toEqual(["waiting"]);
  });
  describe("over HTTP, through the Pages events route", () => {
    beforeAll(() => startEventsServer());
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      // Every watch ends with its socket.
      await waitFor(() => openWatchCount() === 0);
    });
    beforeEach(async () => {
      await emulator.reset();
      await (await db()).limitHit.deleteMany({});
    });
    afterEach(() => {
      vi.restoreAllMocks();
      withDefaultLimits();
    });

    it("open live-status streams are limited per browser, and a closed stream gives its place back", async () => {
      withEnv({ LIMIT_STREAMS_PER_BROWSER: "2" });
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

    it("malformed ticket ids get 404 before the database, with nothing logged as an error", async () => {
      const { binding } = await browserWithTicket();
      const errors = vi.spyOn(console, "error");
      for (const id of ["\u0000", "%00", "x".repeat(5000), "' OR 1=1 --"]) {
        expect((await openStream(id, binding)).status).toBe(404);
      }
      expect(errors).not.toHaveBeenCalled();
    });
  });
});

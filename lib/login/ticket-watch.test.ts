/**
 * Watching a ticket, as the events stream does: what a waiting page is sent, in order, and that
 * nothing is sent for a ticket that is not this browser's. On PGlite (in-process bus) and, when
 * configured, PostgreSQL (LISTEN/NOTIFY).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { closeLoginBus } from "./bus";
import { openWatchCount, watchTicket, type WatchSink } from "./ticket-watch";
import { confirmTicket, createLoginTicket, recordScan } from "./follow-to-login";
import { AppError } from "@/lib/errors";

// createLoginTicket and confirmTicket call the Official Account API.
useTestEmulator({ callbackDomain: "localhost:3998" });

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
  const binding = randomToken(32);
  const ticket = await createLoginTicket({ bindingHash: sha256(binding), returnTo: "/account", ip: null, userAgent: null });
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { ticket, bindingHash: sha256(binding), scene };
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
});

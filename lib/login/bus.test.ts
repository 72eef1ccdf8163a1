/**
 * The live-status bus: a change published by one instance reaches listeners on another.
 * PostgreSQL and Redis run when TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both).
 */
import { describe, expect, it } from "vitest";
import { createMemoryBus, createPostgresBus, createRedisBus, type LoginBus, type TicketEvent } from "./bus";

/** The first event of ticket `id` with `status` (earlier echoes of other statuses are skipped). */
function nextEvent(bus: LoginBus, id: string, status: TicketEvent["status"], timeoutMs = 5000): Promise<TicketEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${status} event for ${id} within ${timeoutMs} ms`)), timeoutMs);
    const stop = bus.subscribe(id, (event) => {
      if (event.status !== status) return;
      clearTimeout(timer);
      stop();
      resolve(event);
    });
  });
}

describe("memory bus", () => {
  it("delivers to listeners of that ticket only, and stops after unsubscribe", async () => {
    const bus = createMemoryBus();
    const seen: TicketEvent[] = [];
    const stop = bus.subscribe("a", (event) => seen.push(event));
    bus.subscribe("b", () => seen.push({ id: "wrong", status: "error" }));
    await bus.publish({ id: "a", status: "scanned" });
    stop();
    await bus.publish({ id: "a", status: "confirmed" });
    expect(seen).toEqual([{ id: "a", status: "scanned" }]);
  });
});

const shared: [string, () => LoginBus][] = [];
if (process.env.TEST_DATABASE_URL) shared.push(["PostgreSQL LISTEN/NOTIFY", () => createPostgresBus(process.env.TEST_DATABASE_URL!)]);
if (process.env.TEST_REDIS_URL) shared.push(["Redis pub/sub", () => createRedisBus(process.env.TEST_REDIS_URL!)]);

describe.runIf(shared.length > 0).each(shared)("%s between two instances", (_name, create) => {
  it("carries a confirmation published on instance B to a browser waiting on instance A", async () => {
    const instanceA = create();
    const instanceB = create();
    try {
      const id = `ticket-${Math.random().toString(36).slice(2)}`;
      // Let A's LISTEN / SUBSCRIBE settle before B publishes.
      await instanceA.publish({ id: "warm-up", status: "waiting" });
      const received = nextEvent(instanceA, id, "confirmed");
      await instanceB.publish({ id, status: "confirmed" });
      await expect(received).resolves.toEqual({ id, status: "confirmed" });
      // B's own listeners hear it too (delivery goes through the server for everyone).
      const onB = nextEvent(instanceB, id, "redeemed");
      await instanceA.publish({ id, status: "redeemed" });
      await expect(onB).resolves.toEqual({ id, status: "redeemed" });
    } finally {
      await Promise.all([instanceA.close(), instanceB.close()]);
    }
  });

  it("ignores payloads that are not ticket events", async () => {
    const bus = create();
    try {
      const seen: TicketEvent[] = [];
      bus.subscribe("x", (event) => seen.push(event));
      await bus.publish({ id: "x", status: "bogus" as never });
      await bus.publish({ id: "x", status: "scanned" });
      await expect.poll(() => seen.length).toBe(1);
      expect(seen[0]).toEqual({ id: "x", status: "scanned" });
    } finally {
      await bus.close();
    }
  });
});

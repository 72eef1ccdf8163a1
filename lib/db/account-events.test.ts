/**
 * What the account page lists as done to the account by someone else: only the shown actions,
 * of this user, recent, newest first. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { CONTACT_MOVED_AWAY, listAccountEvents } from "./account-events";
import { db } from "./client";

const DAY = 86_400_000;

describe.each(testDatabases())("account events on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("lists the user's recent moved-away contacts, newest first, and nothing else", async () => {
    const prisma = await db();
    const [user, other] = await Promise.all([prisma.user.create({ data: { name: "owner" } }), prisma.user.create({ data: { name: "other" } })]);
    const now = Date.now();
    await prisma.auditLog.createMany({
      data: [
        { userId: user.id, action: CONTACT_MOVED_AWAY, detail: { channel: "phone", target: "138****8000" }, createdAt: new Date(now - 1 * DAY) },
        { userId: user.id, action: CONTACT_MOVED_AWAY, detail: { channel: "email", target: "l***@example.com" }, createdAt: new Date(now - 2 * DAY) },
        // A detail of another shape shows as unknown, never as whatever it holds.
        { userId: user.id, action: CONTACT_MOVED_AWAY, detail: { channel: "<b>fax</b>", target: 42 }, createdAt: new Date(now - 3 * DAY) },
        { userId: user.id, action: CONTACT_MOVED_AWAY, detail: { channel: "phone", target: "old" }, createdAt: new Date(now - 100 * DAY) },
        { userId: user.id, action: "identity.unlink", detail: { appId: "wx" }, createdAt: new Date(now - 1 * DAY) },
        { userId: other.id, action: CONTACT_MOVED_AWAY, detail: { channel: "phone", target: "139****0000" }, createdAt: new Date(now - 1 * DAY) },
      ],
    });
    const events = await listAccountEvents(user.id, 90, 10);
    expect(events.map(({ channel, target }) => ({ channel, target }))).toEqual([
      { channel: "phone", target: "138****8000" },
      { channel: "email", target: "l***@example.com" },
      { channel: undefined, target: undefined },
    ]);
    expect(events.every((event) => event.action === CONTACT_MOVED_AWAY)).toBe(true);
    expect(await listAccountEvents(user.id, 90, 1)).toHaveLength(1);
  });
});

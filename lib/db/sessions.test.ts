/**
 * Auth.js database sessions and the history line beside each. On the embedded database and
 * (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import { createSessionForUser } from "./sessions";

const meta = { userAgent: "vitest", ip: "203.0.113.7", method: "wechat:in-app", maxAgeSeconds: 3600 };

describe.each(testDatabases())("sessions on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("opens a session with an unguessable token and records the sign-in", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "session" } });
    const before = Date.now();
    const opened = await createSessionForUser(user.id, { ...meta, userAgent: "x".repeat(2000) });
    expect(opened.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(opened.expires.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(opened.expires.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
    const row = await prisma.session.findUniqueOrThrow({ where: { sessionToken: opened.sessionToken } });
    expect(row).toMatchObject({ userId: user.id, ip: "203.0.113.7", method: "wechat:in-app", expires: opened.expires });
    // A hostile User-Agent is kept to 512 characters, in the session and the history.
    expect(row.userAgent).toHaveLength(512);
    const history = await prisma.signInEvent.findMany({ where: { userId: user.id } });
    expect(history).toEqual([expect.objectContaining({ method: "wechat:in-app", ip: "203.0.113.7", userAgent: "x".repeat(512) })]);
  });

  it("ends the browser's previous session, and no other", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "two browsers" } });
    const laptop = await createSessionForUser(user.id, meta);
    const phone = await createSessionForUser(user.id, meta);
    const again = await createSessionForUser(user.id, { ...meta, previousSessionToken: laptop.sessionToken });
    const tokens = (await prisma.session.findMany({ where: { userId: user.id } })).map((row) => row.sessionToken).sort();
    expect(tokens).toEqual([phone.sessionToken, again.sessionToken].sort());
  });

  it("writes nothing when the caller's transaction rolls back", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "rolled back" } });
    await expect(
      prisma.$transaction(async (tx) => {
        await createSessionForUser(user.id, meta, tx);
        throw new Error("a later step failed");
      }),
    ).rejects.toThrow("a later step failed");
    expect(await prisma.session.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.signInEvent.count({ where: { userId: user.id } })).toBe(0);
  });
});

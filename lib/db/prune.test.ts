import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reloadEnv } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import { pruneExpiredRows } from "./prune";

const DAY = 86_400_000;

describe.each(testDatabases())("pruning on $name", (database) => {
  beforeAll(async () => {
    process.env.ATTEMPT_RETENTION_DAYS = "7";
    process.env.AUDIT_RETENTION_DAYS = "30";
    await database.setUp();
  });
  afterAll(async () => {
    delete process.env.ATTEMPT_RETENTION_DAYS;
    delete process.env.AUDIT_RETENTION_DAYS;
    reloadEnv();
    await database.tearDown();
  });

  it("deletes what has served its purpose and keeps the rest", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "prune" } });
    const old = new Date(Date.now() - 2 * DAY);
    const fresh = new Date(Date.now() + 60_000);
    const state = { bindingHash: "h", appId: "a", mode: "redirect", returnTo: "/" };
    await prisma.wechatLoginState.createMany({
      data: [
        // Past the 7 days of ATTEMPT_RETENTION_DAYS: gone.
        { ...state, id: "old", createdAt: new Date(Date.now() - 8 * DAY), expiresAt: new Date(Date.now() - 8 * DAY + 1_800_000) },
        // Expired, but an attempt the console still shows.
        { ...state, id: "recent", createdAt: new Date(Date.now() - 6 * DAY), expiresAt: old, outcome: "success" },
        { ...state, id: "fresh", expiresAt: fresh },
      ],
    });
    await prisma.signInEvent.createMany({
      data: [
        { userId: user.id, method: "wechat:website", createdAt: new Date(Date.now() - 91 * DAY) },
        { userId: user.id, method: "wechat:website", createdAt: new Date(Date.now() - 89 * DAY) },
      ],
    });
    await prisma.wechatPushEvent.createMany({ data: [{ id: "old-push", receivedAt: old }, { id: "new-push" }] });
    await prisma.wechatEvent.createMany({
      data: [
        { kind: "api_error", errcode: 40001, createdAt: new Date(Date.now() - 8 * DAY) },
        { kind: "api_error", errcode: 40013, createdAt: new Date(Date.now() - 6 * DAY) },
      ],
    });
    await prisma.auditLog.createMany({
      data: [
        { userId: user.id, action: "old", createdAt: new Date(Date.now() - 31 * DAY) },
        { userId: user.id, action: "kept", createdAt: new Date(Date.now() - 29 * DAY) },
      ],
    });
    const ticket = { bindingHash: "h", appId: "a", matchCode: "42", returnTo: "/", surface: "mini_program", codeImage: "data:image/png;base64,AAAA" };
    await prisma.loginTicket.createMany({
      data: [
        { ...ticket, id: "t-old", scene: "t-old", status: "expired", createdAt: new Date(Date.now() - 8 * DAY), expiresAt: new Date(Date.now() - 8 * DAY) },
        { ...ticket, id: "t-recent", scene: "t-recent", status: "redeemed", createdAt: new Date(Date.now() - 3 * DAY), expiresAt: old },
        { ...ticket, id: "t-live", scene: "t-live", status: "waiting", expiresAt: fresh },
      ],
    });

    const counts = await pruneExpiredRows();

    expect(counts).toMatchObject({ loginStates: 1, tickets: 1, ticketCodes: 1, wechatEvents: 1, auditEntries: 1, signIns: 1, pushes: 1 });
    expect((await prisma.wechatLoginState.findMany({ orderBy: { id: "asc" } })).map((row) => row.id)).toEqual(["fresh", "recent"]);
    const tickets = await prisma.loginTicket.findMany({ orderBy: { id: "asc" } });
    expect(tickets.map((row) => [row.id, row.status, row.codeImage !== null])).toEqual([
      ["t-live", "waiting", true],
      ["t-recent", "redeemed", false],
    ]);
    expect((await prisma.wechatEvent.findMany()).map((row) => row.errcode)).toEqual([40013]);
    expect((await prisma.auditLog.findMany()).map((row) => row.action)).toEqual(["kept"]);
    expect(await prisma.signInEvent.count()).toBe(1);
    expect((await prisma.wechatPushEvent.findMany()).map((row) => row.id)).toEqual(["new-push"]);
  });
});

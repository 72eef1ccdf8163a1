import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import { pruneExpiredRows } from "./prune";

const DAY = 86_400_000;

describe.each(testDatabases())("pruning on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("deletes what has served its purpose and keeps the rest", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "prune" } });
    const old = new Date(Date.now() - 2 * DAY);
    const fresh = new Date(Date.now() + 60_000);
    await prisma.wechatLoginState.createMany({
      data: [
        { id: "old", bindingHash: "h", appId: "a", mode: "redirect", returnTo: "/", expiresAt: old },
        { id: "fresh", bindingHash: "h", appId: "a", mode: "redirect", returnTo: "/", expiresAt: fresh },
      ],
    });
    await prisma.signInEvent.createMany({
      data: [
        { userId: user.id, method: "wechat:website", createdAt: new Date(Date.now() - 91 * DAY) },
        { userId: user.id, method: "wechat:website", createdAt: new Date(Date.now() - 89 * DAY) },
      ],
    });
    await prisma.wechatPushEvent.createMany({ data: [{ id: "old-push", receivedAt: old }, { id: "new-push" }] });
    const counts = await pruneExpiredRows();
    expect(counts).toMatchObject({ loginStates: 1, signIns: 1, pushes: 1 });
    expect((await prisma.wechatLoginState.findMany()).map((row) => row.id)).toEqual(["fresh"]);
    expect(await prisma.signInEvent.count()).toBe(1);
    expect((await prisma.wechatPushEvent.findMany()).map((row) => row.id)).toEqual(["new-push"]);
  });
});

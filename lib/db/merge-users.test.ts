/**
 * Folding one user into another when WeChat says they are one person: everything the loser had
 * moves, the survivor keeps what it had and gains what it lacked, and the audit log says what
 * happened. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { identity, meta, WEB, WEB2 } from "@/lib/test/people";
import { db } from "./client";
import { mergeUsers } from "./merge-users";
import { signInWithWechat } from "./sign-ins";

describe.each(testDatabases())("merging users on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("moves identities, sessions and history onto the survivor, which gains only what it lacked", async () => {
    const prisma = await db();
    const from = await signInWithWechat(identity(WEB, "oMergeFrom0000000000000000001", "oUnionMergeFrom0000000000001"), meta);
    const into = await signInWithWechat(identity(WEB2, "oMergeInto0000000000000000001"), meta);
    await prisma.user.update({ where: { id: from.userId }, data: { phone: "+8613800138001", email: "from@example.com", name: "from" } });
    await prisma.user.update({ where: { id: into.userId }, data: { email: "into@example.com", name: "into" } });
    await prisma.account.create({ data: { userId: from.userId, type: "oauth", provider: "wechat", providerAccountId: "oStockMerge00000000000000001" } });
    await prisma.verificationCode.create({
      data: { userId: from.userId, channel: "sms", target: "+8613800138009", purpose: "bind", codeHash: "h", expiresAt: new Date(Date.now() + 60_000) },
    });

    await prisma.$transaction((tx) => mergeUsers(tx, from.userId, into.userId, { action: "merge.unionid", ip: "203.0.113.7" }));

    expect(await prisma.user.findUnique({ where: { id: from.userId } })).toBeNull();
    const survivor = await prisma.user.findUniqueOrThrow({ where: { id: into.userId } });
    expect(survivor).toMatchObject({ name: "into", email: "into@example.com", phone: "+8613800138001", unionid: "oUnionMergeFrom0000000000001" });
    expect((await prisma.wechatIdentity.findMany({ where: { userId: into.userId } })).map((row) => row.appId).sort()).toEqual([WEB, WEB2].sort());
    expect(await prisma.session.count({ where: { userId: into.userId } })).toBe(2);
    expect(await prisma.signInEvent.count({ where: { userId: into.userId } })).toBe(2);
    expect(await prisma.account.count({ where: { userId: into.userId } })).toBe(1);
    // A code sent for the loser proves nothing for the survivor.
    expect(await prisma.verificationCode.count({ where: { target: "+8613800138009" } })).toBe(0);
    expect(await prisma.auditLog.findMany({ where: { userId: into.userId } })).toEqual([
      expect.objectContaining({ action: "merge.unionid", ip: "203.0.113.7", detail: { fromUserId: from.userId, droppedIdentities: [] } }),
    ]);
  });

  it("drops the identities the caller names, of these two users only, and says so in the audit entry", async () => {
    const prisma = await db();
    const from = await signInWithWechat(identity(WEB, "oDropFrom00000000000000000001"), meta);
    const into = await signInWithWechat(identity(WEB2, "oDropInto00000000000000000001"), meta);
    const bystander = await signInWithWechat(identity(WEB, "oBystander000000000000000001"), meta);
    const dropped = await prisma.wechatIdentity.findFirstOrThrow({ where: { userId: from.userId } });
    const untouchable = await prisma.wechatIdentity.findFirstOrThrow({ where: { userId: bystander.userId } });

    await prisma.$transaction((tx) => mergeUsers(tx, from.userId, into.userId, { action: "merge.test", dropIdentityIds: [dropped.id, untouchable.id] }));

    expect(await prisma.wechatIdentity.findUnique({ where: { id: dropped.id } })).toBeNull();
    expect(await prisma.wechatIdentity.findUniqueOrThrow({ where: { id: untouchable.id } })).toMatchObject({ userId: bystander.userId });
    expect((await prisma.wechatIdentity.findMany({ where: { userId: into.userId } })).map((row) => row.openid)).toEqual(["oDropInto00000000000000000001"]);
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { userId: into.userId, action: "merge.test" } });
    expect(audit.detail).toEqual({ fromUserId: from.userId, droppedIdentities: [{ appId: WEB, openid: "oDropFrom00000000000000000001" }] });
  });
});

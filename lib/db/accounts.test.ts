import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SESSION_MAX_AGE_SECONDS } from "./sessions";
import { testDatabases } from "@/lib/test/databases";
import { deleteAllSessions, deleteSession, estimateLastActive, findSessionIdByToken, getAccountOverview, listSignIns, unlinkIdentity } from "./accounts";
import { db } from "./client";
import { mergeUsers } from "./merge-users";
import type { WechatSignIn } from "./people";
import { signInWithWechat } from "./sign-ins";

const WEB = "wx8e0b5c61d2a3f470";
const WEB2 = "wx8e0b5c61d2a3f471";
const DAY = 86_400_000;
const meta = { userAgent: "vitest", ip: "127.0.0.1", method: "wechat:website", maxAgeSeconds: SESSION_MAX_AGE_SECONDS };

function identity(appId: string, openid: string, unionid?: string): WechatSignIn {
  return { appId, openid, unionid, nickname: `n-${openid}` };
}

async function identitiesOf(userId: string): Promise<string[]> {
  const prisma = await db();
  const rows = await prisma.wechatIdentity.findMany({ where: { userId }, orderBy: { appId: "asc" } });
  return rows.map((row) => row.appId);
}

describe.each(testDatabases())("account page data on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([
      prisma.auditLog.deleteMany(),
      prisma.signInEvent.deleteMany(),
      prisma.session.deleteMany(),
      prisma.account.deleteMany(),
      prisma.wechatIdentity.deleteMany(),
      prisma.user.deleteMany(),
    ]);
  });

  describe("unlinking a WeChat identity", () => {
    it("unlinks one of two identities, writes an audit entry, and refuses the last one", async () => {
      const { userId } = await signInWithWechat(identity(WEB, "oLiWeb000000000000000000001", "oUnionLi00000000000000000001"), meta);
      await signInWithWechat(identity(WEB2, "oLiWeb2000000000000000000001", "oUnionLi00000000000000000001"), meta);
      const prisma = await db();
      const [web, web2] = await prisma.wechatIdentity.findMany({ where: { userId }, orderBy: { appId: "asc" } });

      expect((await getAccountOverview(userId)).canUnlink).toBe(true);
      expect(await unlinkIdentity(userId, web2!.id, { ip: "10.0.0.1" })).toEqual({ ok: true, appId: WEB2 });
      expect(await identitiesOf(userId)).toEqual([WEB]);
      const audit = await prisma.auditLog.findMany({ where: { userId } });
      expect(audit).toEqual([expect.objectContaining({ action: "identity.unlink", ip: "10.0.0.1", detail: { appId: WEB2, openid: "oLiW…0001" } })]);
      // The other app still holds the unionid, so the user keeps it.
      expect((await prisma.user.findUniqueOrThrow({ where: { id: userId } })).unionid).toBe("oUnionLi00000000000000000001");

      expect((await getAccountOverview(userId)).canUnlink).toBe(false);
      expect(await unlinkIdentity(userId, web!.id)).toEqual({ ok: false, error: "last_method" });
      expect(await identitiesOf(userId)).toEqual([WEB]);
      expect(await prisma.auditLog.count({ where: { userId } })).toBe(1);
    });

    it("counts an Auth.js account as another way to sign in", async () => {
      const { userId } = await signInWithWechat(identity(WEB, "oSolo00000000000000000000001"), meta);
      const prisma = await db();
      const only = await prisma.wechatIdentity.findFirstOrThrow({ where: { userId } });
      expect(await unlinkIdentity(userId, only.id)).toEqual({ ok: false, error: "last_method" });
      await prisma.account.create({ data: { userId, type: "oauth", provider: "wechat", providerAccountId: "oStock0000000000000000000001" } });
      expect((await getAccountOverview(userId)).canUnlink).toBe(true);
      expect(await unlinkIdentity(userId, only.id)).toEqual({ ok: true, appId: WEB });
      expect(await identitiesOf(userId)).toEqual([]);
    });

    it("changes nothing when given another user's identity id", async () => {
      const victim = await signInWithWechat(identity(WEB, "oVictim000000000000000000001", "oUnionVictim0000000000000001"), meta);
      await signInWithWechat(identity(WEB2, "oVictim200000000000000000001", "oUnionVictim0000000000000001"), meta);
      const attacker = await signInWithWechat(identity(WEB, "oAttack000000000000000000001", "oUnionAttack0000000000000001"), meta);
      await signInWithWechat(identity(WEB2, "oAttack200000000000000000001", "oUnionAttack0000000000000001"), meta);
      const prisma = await db();
      const victimIdentity = await prisma.wechatIdentity.findFirstOrThrow({ where: { userId: victim.userId } });

      expect(await unlinkIdentity(attacker.userId, victimIdentity.id)).toEqual({ ok: false, error: "not_found" });
      expect(await unlinkIdentity(attacker.userId, "no-such-id")).toEqual({ ok: false, error: "not_found" });
      expect(await identitiesOf(victim.userId)).toEqual([WEB, WEB2]);
      expect(await identitiesOf(attacker.userId)).toEqual([WEB, WEB2]);
      expect(await prisma.auditLog.count()).toBe(0);
    });

    it("lets only one of two racing unlinks through, so the user keeps a way to sign in", async () => {
      const { userId } = await signInWithWechat(identity(WEB, "oRaceUnlink00000000000000001", "oUnionRaceUnlink000000000001"), meta);
      await signInWithWechat(identity(WEB2, "oRaceUnlink20000000000000001", "oUnionRaceUnlink000000000001"), meta);
      const prisma = await db();
      const [first, second] = await prisma.wechatIdentity.findMany({ where: { userId } });
      const results = await Promise.all([unlinkIdentity(userId, first!.id), unlinkIdentity(userId, second!.id)]);
      expect(results.filter((result) => result.ok)).toHaveLength(1);
      expect(results.filter((result) => !result.ok)).toEqual([{ ok: false, error: "last_method" }]);
      expect(await prisma.wechatIdentity.count({ where: { userId } })).toBe(1);
    });

    it("moves the user's unionid off an unlinked WeChat account, so it cannot re-attach itself", async () => {
      // One user holding identities of two WeChat accounts (two unionids), as a merge leaves it.
      const kept = await signInWithWechat(identity(WEB, "oKeptWeb00000000000000000001", "oUnionKept000000000000000001"), meta);
      const other = await signInWithWechat(identity(WEB2, "oOtherWeb2000000000000000001", "oUnionOther00000000000000001"), meta);
      const prisma = await db();
      await prisma.$transaction((tx) => mergeUsers(tx, other.userId, kept.userId, { action: "merge.test" }));
      const keptIdentity = await prisma.wechatIdentity.findFirstOrThrow({ where: { userId: kept.userId, appId: WEB } });

      expect(await unlinkIdentity(kept.userId, keptIdentity.id)).toEqual({ ok: true, appId: WEB });
      expect((await prisma.user.findUniqueOrThrow({ where: { id: kept.userId } })).unionid).toBe("oUnionOther00000000000000001");
      // The unlinked WeChat account signs in as a user of its own, not back into this one.
      const again = await signInWithWechat(identity(WEB, "oKeptWeb00000000000000000001", "oUnionKept000000000000000001"), meta);
      expect(again.userId).not.toBe(kept.userId);
      expect(await identitiesOf(kept.userId)).toEqual([WEB2]);
    });
  });

  describe("sessions", () => {
    it("ends one session of the user, and none of another user's", async () => {
      const zhang = await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      const zhangLaptop = await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      const li = await signInWithWechat(identity(WEB, "oLi0000000000000000000000001"), meta);
      const zhangSessionId = await findSessionIdByToken(zhang.userId, zhang.sessionToken);
      const liSessionId = await findSessionIdByToken(li.userId, li.sessionToken);
      expect(zhangSessionId).toBeDefined();
      // A token is only recognised for its own user.
      expect(await findSessionIdByToken(li.userId, zhang.sessionToken)).toBeUndefined();

      expect(await deleteSession(zhang.userId, liSessionId!)).toBe(false);
      const prisma = await db();
      expect(await prisma.session.count({ where: { userId: li.userId } })).toBe(1);

      expect(await deleteSession(zhang.userId, zhangSessionId!)).toBe(true);
      expect(await deleteSession(zhang.userId, zhangSessionId!)).toBe(false);
      const left = await prisma.session.findMany({ where: { userId: zhang.userId } });
      expect(left.map((row) => row.sessionToken)).toEqual([zhangLaptop.sessionToken]);
    });

    it("ends every session of the user, and only theirs", async () => {
      const zhang = await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      const li = await signInWithWechat(identity(WEB, "oLi0000000000000000000000001"), meta);
      expect(await deleteAllSessions(zhang.userId)).toBe(3);
      const prisma = await db();
      expect(await prisma.session.count({ where: { userId: zhang.userId } })).toBe(0);
      expect(await prisma.session.count({ where: { userId: li.userId } })).toBe(1);
      expect((await getAccountOverview(zhang.userId)).sessions).toEqual([]);
    });

    it("marks the browser's own session and estimates when each was last active", async () => {
      const first = await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      const second = await signInWithWechat(identity(WEB, "oZhang00000000000000000000001"), meta);
      const prisma = await db();
      // Auth.js slid this session's expiry forward when it was used two days after sign-in.
      const createdAt = new Date(Date.now() - 5 * DAY);
      await prisma.session.update({
        where: { sessionToken: first.sessionToken },
        data: { createdAt, expires: new Date(createdAt.getTime() + 2 * DAY + SESSION_MAX_AGE_SECONDS * 1000) },
      });

      const { sessions } = await getAccountOverview(first.userId, second.sessionToken);
      expect(sessions.map((row) => row.isCurrent)).toEqual([true, false]);
      expect(sessions[1]!.lastActiveAt).toEqual(new Date(createdAt.getTime() + 2 * DAY));
      expect(JSON.stringify(sessions)).not.toContain(first.sessionToken);
      expect((await getAccountOverview(first.userId)).sessions.every((row) => !row.isCurrent)).toBe(true);
    });

    it("never dates the last activity before the sign-in, whatever the session's lifetime", () => {
      const createdAt = new Date("2026-01-01T00:00:00Z");
      expect(estimateLastActive({ createdAt, expires: new Date(createdAt.getTime() + 3600_000) })).toEqual(createdAt);
    });
  });

  describe("sign-in history", () => {
    it("lists the last 90 days of the user's sign-ins, newest first, at most 50", async () => {
      const { userId } = await signInWithWechat(identity(WEB, "oHistory0000000000000000001"), meta);
      const other = await signInWithWechat(identity(WEB, "oOtherHistory000000000000001"), meta);
      const prisma = await db();
      await prisma.signInEvent.deleteMany();
      const now = Date.now();
      await prisma.signInEvent.createMany({
        data: [
          { userId, method: "wechat:website", createdAt: new Date(now - 1 * DAY) },
          { userId, method: "wechat:in-app", createdAt: new Date(now - 89 * DAY) },
          { userId, method: "wechat:follow", createdAt: new Date(now - 91 * DAY) },
          { userId: other.userId, method: "wechat:website", createdAt: new Date(now - 2 * DAY) },
        ],
      });
      const rows = await listSignIns(userId, 90);
      expect(rows.map((row) => row.method)).toEqual(["wechat:website", "wechat:in-app"]);

      await prisma.signInEvent.createMany({
        data: Array.from({ length: 60 }, (_, index) => ({ userId, method: "wechat:website", createdAt: new Date(now - index * 60_000) })),
      });
      const capped = await listSignIns(userId, 90);
      expect(capped).toHaveLength(50);
      expect(capped[0]!.createdAt.getTime()).toBe(now);
      const times = capped.map((row) => row.createdAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it("records every WeChat sign-in", async () => {
      const { userId } = await signInWithWechat(identity(WEB, "oHistory0000000000000000001"), meta);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await signInWithWechat(identity(WEB, "oHistory0000000000000000001"), { ...meta, method: "wechat:in-app", ip: null });
      const rows = await listSignIns(userId, 90);
      expect(rows.map((row) => [row.method, row.ip, row.userAgent])).toEqual([
        ["wechat:in-app", null, "vitest"],
        ["wechat:website", "127.0.0.1", "vitest"],
      ]);
    });
  });
});

/**
 * Who a WeChat identity is: users keyed on unionid when WeChat gives one, else on the identity
 * alone; a unionid learned later joins two users. Reached through signInWithWechat, the way
 * every surface resolves a person. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { identity, meta, WEB, WEB2 } from "@/lib/test/people";
import { db } from "./client";
import { findUserIdByIdentity, getContactFacts } from "./people";
import { signInWithWechat } from "./sign-ins";

describe.each(testDatabases())("WeChat users on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([prisma.session.deleteMany(), prisma.wechatIdentity.deleteMany(), prisma.user.deleteMany()]);
  });

  it("meets one person arriving through two apps with one unionid in one user", async () => {
    const first = await signInWithWechat(identity(WEB, "oWebLin000000000000000000001", "oUnionLin0000000000000000001"), meta);
    const second = await signInWithWechat(identity(WEB2, "oWeb2Lin00000000000000000001", "oUnionLin0000000000000000001"), meta);
    expect(second.userId).toBe(first.userId);
    expect(first.createdUser).toBe(true);
    expect(second.createdUser).toBe(false);
    const prisma = await db();
    const identities = await prisma.wechatIdentity.findMany({ where: { userId: first.userId }, orderBy: { appId: "asc" } });
    expect(identities.map((row) => [row.appId, row.openid])).toEqual([
      [WEB, "oWebLin000000000000000000001"],
      [WEB2, "oWeb2Lin00000000000000000001"],
    ]);
  });

  it("keys users without unionid on their (appid, openid), never on a shared placeholder", async () => {
    const wang = await signInWithWechat(identity(WEB, "oWang00000000000000000000001"), meta);
    const wangAgain = await signInWithWechat(identity(WEB, "oWang00000000000000000000001"), meta);
    const chen = await signInWithWechat(identity(WEB, "oChen00000000000000000000001"), meta);
    expect(wangAgain.userId).toBe(wang.userId);
    expect(chen.userId).not.toBe(wang.userId);
    const prisma = await db();
    const users = await prisma.user.findMany({ where: { id: { in: [wang.userId, chen.userId] } } });
    expect(users.map((user) => user.unionid)).toEqual([null, null]);
    expect(await prisma.user.count({ where: { OR: [{ unionid: "" }, { unionid: "undefined" }, { id: "undefined" }] } })).toBe(0);
  });

  it("records a unionid that shows up later on the identity and the user", async () => {
    const before = await signInWithWechat(identity(WEB, "oLate00000000000000000000001"), meta);
    const after = await signInWithWechat(identity(WEB, "oLate00000000000000000000001", "oUnionLate000000000000000001"), meta);
    expect(after.userId).toBe(before.userId);
    const later = await signInWithWechat(identity(WEB2, "oLate20000000000000000000001", "oUnionLate000000000000000001"), meta);
    expect(later.userId).toBe(before.userId);
  });

  it("merges an identity into the unionid's user when its unionid shows up later", async () => {
    const OA = "wx8e0b5c61d2a3f4a0";
    // First seen through the Official Account's silent scope: openid only, its own user.
    const viaOa = await signInWithWechat(identity(OA, "oOaMerge000000000000000000001"), meta);
    const viaWeb = await signInWithWechat(identity(WEB, "oWebMerge00000000000000000001", "oUnionMerge00000000000000001"), meta);
    expect(viaOa.userId).not.toBe(viaWeb.userId);
    const again = await signInWithWechat(identity(OA, "oOaMerge000000000000000000001", "oUnionMerge00000000000000001"), meta);
    expect(again.userId).toBe(viaWeb.userId);
    const prisma = await db();
    expect(await prisma.user.findUnique({ where: { id: viaOa.userId } })).toBeNull();
    const identities = await prisma.wechatIdentity.findMany({ where: { userId: viaWeb.userId } });
    expect(identities.map((row) => row.appId).sort()).toEqual([OA, WEB].sort());
    // The merged-away user's session moved too, so that browser stays signed in as the same person.
    expect(await prisma.session.count({ where: { userId: viaWeb.userId } })).toBe(3);
  });

  it("stores WeChat tokens sealed, never in the clear", async () => {
    await signInWithWechat(identity(WEB, "oSeal00000000000000000000001"), meta);
    const prisma = await db();
    const row = await prisma.wechatIdentity.findUniqueOrThrow({ where: { appId_openid: { appId: WEB, openid: "oSeal00000000000000000000001" } } });
    expect(row.accessTokenEnc).toMatch(/^v1\./);
    expect(row.accessTokenEnc).not.toContain("at-oSeal");
    expect(row.refreshTokenEnc).not.toContain("rt-oSeal");
  });

  it("finds the user of a known identity only, and what the landing rule needs", async () => {
    const { userId } = await signInWithWechat(identity(WEB, "oKnown00000000000000000000001"), meta);
    expect(await findUserIdByIdentity(WEB, "oKnown00000000000000000000001")).toBe(userId);
    // The same openid under another app is another identity (openids are per app).
    expect(await findUserIdByIdentity(WEB2, "oKnown00000000000000000000001")).toBeUndefined();

    expect(await getContactFacts(userId)).toEqual({ phone: null, email: null, signIns: 1 });
    await signInWithWechat(identity(WEB, "oKnown00000000000000000000001"), meta);
    const prisma = await db();
    await prisma.user.update({ where: { id: userId }, data: { phone: "+8613800138000" } });
    expect(await getContactFacts(userId)).toEqual({ phone: "+8613800138000", email: null, signIns: 2 });
    expect(await getContactFacts("no-such-user")).toBeUndefined();
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "./client";
import { readMigrations } from "./migrate";
import type { WechatSignIn } from "./people";
import { AttemptClosedError, signInWithWechat } from "./sign-ins";
import { testDatabases } from "@/lib/test/databases";

const WEB = "wx8e0b5c61d2a3f470";
const WEB2 = "wx8e0b5c61d2a3f471";
const meta = { userAgent: "vitest", ip: "127.0.0.1", method: "wechat:website", maxAgeSeconds: 3600 };

function identity(appId: string, openid: string, unionid?: string): WechatSignIn {
  return { appId, openid, unionid, nickname: `n-${openid}`, avatarUrl: "", tokens: { accessToken: `at-${openid}`, refreshToken: `rt-${openid}`, expiresIn: 7200, scope: "snsapi_login" } };
}

describe.each(testDatabases())("WeChat users on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([prisma.session.deleteMany(), prisma.wechatIdentity.deleteMany(), prisma.user.deleteMany()]);
  });

  it("is migrated with Prisma's own bookkeeping, so `prisma migrate deploy` sees it as up to date", async () => {
    const prisma = await db();
    const rows = await prisma.$queryRaw<{ migration_name: string; checksum: string }[]>`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`;
    const files = await readMigrations();
    expect(rows).toEqual(files.map((file) => ({ migration_name: file.name, checksum: file.checksum })));
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

  it("leaves no partial rows when a later step of the sign-in fails", async () => {
    await expect(
      // The last step, closing the attempt, finds no ticket to close.
      signInWithWechat(identity(WEB, "oFail00000000000000000000001", "oUnionFail000000000000000001"), meta, {
        attempt: { kind: "ticket", id: "no-such-ticket", bindingHash: "x", confirmedAfter: new Date() },
      }),
    ).rejects.toBeInstanceOf(AttemptClosedError);
    const prisma = await db();
    expect(await prisma.user.count()).toBe(0);
    expect(await prisma.wechatIdentity.count()).toBe(0);
    expect(await prisma.session.count()).toBe(0);
  });

  it("lets two racing first sign-ins of one person end in one user", async () => {
    const results = await Promise.all([
      signInWithWechat(identity(WEB, "oRace00000000000000000000001", "oUnionRace000000000000000001"), meta),
      signInWithWechat(identity(WEB2, "oRace20000000000000000000001", "oUnionRace000000000000000001"), meta),
    ]);
    expect(results[0]!.userId).toBe(results[1]!.userId);
    const prisma = await db();
    expect(await prisma.user.count({ where: { unionid: "oUnionRace000000000000000001" } })).toBe(1);
    expect(await prisma.wechatIdentity.count({ where: { userId: results[0]!.userId } })).toBe(2);
    expect(await prisma.session.count({ where: { userId: results[0]!.userId } })).toBe(2);
  });
});

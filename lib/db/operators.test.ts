import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { identity, meta, WEB, WEB2 } from "@/lib/test/people";
import { testDatabases } from "@/lib/test/databases";
import { unlinkIdentity } from "./accounts";
import { db } from "./client";
import { endSessionOf, getPersonOverview, isOperator, searchPeople, setOperatorRole } from "./operators";
import { signInWithWechat } from "./sign-ins";

describe.each(testDatabases())("the operator console's data on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([
      prisma.auditLog.deleteMany(),
      prisma.signInEvent.deleteMany(),
      prisma.session.deleteMany(),
      prisma.wechatIdentity.deleteMany(),
      prisma.user.deleteMany(),
    ]);
  });

  it("grants and revokes the role by phone, email or id, each with an audit entry", async () => {
    const { userId } = await signInWithWechat(identity(WEB, "oOpWeb00000000000000000001", "oUnionOp000000000000000001"), meta);
    const prisma = await db();
    await prisma.user.update({ where: { id: userId }, data: { phone: "+8613800138000", email: "op@example.com" } });
    expect(await isOperator(userId)).toBe(false);

    expect(await setOperatorRole({ phone: "+8613800138000" }, true)).toEqual({ ok: true, userId, changed: true });
    expect(await isOperator(userId)).toBe(true);
    expect(await setOperatorRole({ email: "op@example.com" }, true)).toEqual({ ok: true, userId, changed: false });
    expect(await setOperatorRole({ id: userId }, false)).toEqual({ ok: true, userId, changed: true });
    expect(await isOperator(userId)).toBe(false);
    expect(await setOperatorRole({ id: "nobody" }, true)).toEqual({ ok: false, error: "not_found" });

    const audit = await prisma.auditLog.findMany({ orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => [entry.action, entry.userId, (entry.detail as { outcome: string }).outcome])).toEqual([
      ["operator.grant", userId, "ok"],
      ["operator.grant", userId, "unchanged"],
      ["operator.revoke", userId, "ok"],
      ["operator.grant", null, "not_found"],
    ]);
    expect(audit.every((entry) => entry.actorId === null)).toBe(true);
  });

  it("finds people by phone, email, openid, unionid, nickname or id, and nobody by a blank query", async () => {
    const li = await signInWithWechat(identity(WEB, "oLiWeb000000000000000000001", "oUnionLi00000000000000000001"), meta);
    const wang = await signInWithWechat({ ...identity(WEB2, "oWangWeb2000000000000000001"), nickname: "王小明" }, meta);
    const prisma = await db();
    await prisma.user.update({ where: { id: li.userId }, data: { phone: "+8613800138000", email: "li@example.com" } });
    const ids = async (query: string, phone?: string) => (await searchPeople(query, { phone })).map((person) => person.id);

    expect(await ids("13800138000", "+8613800138000")).toEqual([li.userId]);
    expect(await ids("LI@example.com")).toEqual([li.userId]);
    expect(await ids("oLiWeb000000000000000000001")).toEqual([li.userId]);
    expect(await ids("oUnionLi00000000000000000001")).toEqual([li.userId]);
    // An openid matches whole only; a nickname matches in part, in any case.
    expect(await ids("oWangWeb2")).toEqual([]);
    expect(await ids("小明")).toEqual([wang.userId]);
    expect(await ids("N-OLIWEB")).toEqual([li.userId]);
    expect(await ids(wang.userId)).toEqual([wang.userId]);
    expect(await ids("  ")).toEqual([]);
  });

  it("shows a person's overview and ends only that person's sessions; an operator's unlink names the operator", async () => {
    const li = await signInWithWechat(identity(WEB, "oLiWeb000000000000000000001", "oUnionLi00000000000000000001"), meta);
    await signInWithWechat(identity(WEB2, "oLiWeb2000000000000000000001", "oUnionLi00000000000000000001"), meta);
    const zhang = await signInWithWechat(identity(WEB, "oZhangWeb0000000000000000001"), meta);
    const overview = await getPersonOverview(li.userId);
    expect(overview.identities).toHaveLength(2);
    expect(overview.sessions).toHaveLength(2);
    expect(overview.signIns).toHaveLength(2);
    expect(overview.sessions[0]).not.toHaveProperty("sessionToken");

    const zhangSession = (await getPersonOverview(zhang.userId)).sessions[0]!;
    expect(await endSessionOf(li.userId, zhangSession.id)).toBe(false);
    expect(await endSessionOf(li.userId, overview.sessions[0]!.id)).toBe(true);
    expect((await getPersonOverview(li.userId)).sessions).toHaveLength(1);

    expect(await unlinkIdentity(li.userId, overview.identities[1]!.id, { actorId: zhang.userId })).toEqual({ ok: true, appId: WEB2 });
    const audit = (await getPersonOverview(li.userId)).audit;
    expect(audit.map((entry) => [entry.action, entry.actorId])).toEqual([["identity.unlink", zhang.userId]]);
    // The operator's own trail lists what they did to others.
    expect((await getPersonOverview(zhang.userId)).audit.map((entry) => entry.action)).toEqual(["identity.unlink"]);
  });
});

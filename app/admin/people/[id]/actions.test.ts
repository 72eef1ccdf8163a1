/**
 * The console's actions as a browser posts them: only an operator changes anything, a refused
 * attempt is audited with who tried, and a session id of another person ends nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { signInWithWechat } from "@/lib/db/sign-ins";
import { testDatabases } from "@/lib/test/databases";
import { identity, meta, WEB } from "@/lib/test/people";

const signedIn = vi.hoisted(() => ({ userId: "" }));
vi.mock("@/lib/auth", () => ({ auth: async () => (signedIn.userId ? { user: { id: signedIn.userId } } : null) }));
vi.mock("next/headers", () => ({ headers: async () => new Headers() }));
vi.mock("next/navigation", () => ({
  redirect: (url: string) => {
    throw new Error(`redirect:${url}`);
  },
  forbidden: () => {
    throw new Error("forbidden");
  },
}));
const { endSessionAction, endAllSessionsAction } = await import("./actions");

function form(fields: Record<string, string>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.set(key, value);
  return data;
}

describe.each(testDatabases())("the person page's actions on $name", (database) => {
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

  async function person(openid: string, role?: string): Promise<{ userId: string; sessionId: string }> {
    const { userId } = await signInWithWechat(identity(WEB, openid), meta);
    const prisma = await db();
    if (role) await prisma.user.update({ where: { id: userId }, data: { role } });
    const session = await prisma.session.findFirstOrThrow({ where: { userId } });
    return { userId, sessionId: session.id };
  }

  it("refuses a signed-out visitor (to the sign-in) and a normal user (403, audited), changing nothing", async () => {
    const victim = await person("oVictim000000000000000000001");
    const intruder = await person("oIntruder00000000000000000001");
    signedIn.userId = "";
    await expect(endSessionAction(form(victim))).rejects.toThrow(`redirect:/login?returnTo=${encodeURIComponent(`/admin/people/${victim.userId}`)}`);
    signedIn.userId = intruder.userId;
    await expect(endSessionAction(form(victim))).rejects.toThrow("forbidden");
    await expect(endAllSessionsAction(form({ userId: victim.userId }))).rejects.toThrow("forbidden");

    const prisma = await db();
    expect(await prisma.session.count({ where: { userId: victim.userId } })).toBe(1);
    const audit = await prisma.auditLog.findMany({ orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => [entry.action, entry.actorId, entry.detail])).toEqual([
      ["admin.refused", intruder.userId, { outcome: "not_operator", attempted: "admin.session.end" }],
      ["admin.refused", intruder.userId, { outcome: "not_operator", attempted: "admin.sessions.end_all" }],
    ]);
  });

  it("lets an operator end a person's session, never through another person's session id, and audits both", async () => {
    const operator = await person("oOperator0000000000000000001", "operator");
    const li = await person("oLi0000000000000000000000001");
    const wang = await person("oWang000000000000000000000001");
    signedIn.userId = operator.userId;

    await expect(endSessionAction(form({ userId: li.userId, sessionId: wang.sessionId }))).rejects.toThrow(`notice=session_not_found`);
    await expect(endSessionAction(form({ userId: li.userId, sessionId: li.sessionId }))).rejects.toThrow(
      `redirect:/admin/people/${li.userId}?notice=session_ended`,
    );

    const prisma = await db();
    expect(await prisma.session.count({ where: { userId: li.userId } })).toBe(0);
    expect(await prisma.session.count({ where: { userId: wang.userId } })).toBe(1);
    const audit = await prisma.auditLog.findMany({ orderBy: { createdAt: "asc" } });
    expect(audit.map((entry) => [entry.action, entry.actorId, entry.userId, (entry.detail as { outcome: string }).outcome])).toEqual([
      ["admin.session.end", operator.userId, li.userId, "session_not_found"],
      ["admin.session.end", operator.userId, li.userId, "session_ended"],
    ]);
  });
});

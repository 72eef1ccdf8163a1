/**
 * Binding on the embedded database and, with TEST_DATABASE_URL, on PostgreSQL: the code
 * lifecycle and its limits, binding, merging after proof, and races.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { reloadEnv } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { bindVerified, MAX_ATTEMPTS, sendBindCode, verifyBindCode, verifyBindLink, type Deliver } from "./codes";

const WEB = "wx8e0b5c61d2a3f470";
const WEB2 = "wx8e0b5c61d2a3f471";
let sent: { target: string; code: string; link: string | undefined }[] = [];
const deliver: Deliver = async (message) => {
  sent.push({ target: message.target, code: message.code, link: message.link });
};
const lastCode = () => sent.at(-1)!.code;
let ipCounter = 0;
/** A fresh IP per test keeps the per-IP cap out of tests about other limits. */
const nextIp = () => `198.51.100.${++ipCounter}`;

async function makeUser(appId: string, openid: string, extra: { phone?: string; email?: string } = {}) {
  const prisma = await db();
  return prisma.user.create({ data: { name: openid, ...extra, wechatIdentities: { create: { appId, openid } } }, include: { wechatIdentities: true } });
}

async function send(userId: string, target: string, channel: "phone" | "email" = "phone", ip = nextIp()) {
  return sendBindCode({ userId, channel, rawTarget: target, ip, origin: "http://localhost", deliver });
}

beforeAll(() => {
  vi.stubEnv("BIND_MODE", "optional");
  vi.stubEnv("BIND_EMAIL_LINK", "1");
  reloadEnv();
});

afterAll(() => {
  vi.unstubAllEnvs();
  reloadEnv();
});

describe.each(testDatabases())("binding on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    sent = [];
    const prisma = await db();
    await prisma.$transaction([prisma.verificationCode.deleteMany(), prisma.auditLog.deleteMany(), prisma.session.deleteMany(), prisma.wechatIdentity.deleteMany(), prisma.user.deleteMany()]);
  });

  it("binds a phone after the right code, stores only a hash, and writes an audit entry", async () => {
    const user = await makeUser(WEB, "oBindPhone0000000000000000001");
    expect(await send(user.id, "138 0013 8000")).toMatchObject({ ok: true, resendIn: 60, expiresIn: 300 });
    expect(sent[0]!.target).toBe("+8613800138000");
    const prisma = await db();
    const row = await prisma.verificationCode.findFirstOrThrow({ where: { userId: user.id } });
    expect(row.codeHash).not.toContain(lastCode());
    expect(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "+86 13800138000", code: lastCode(), ip: null })).toEqual({ ok: true, outcome: "bound", userId: user.id });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).phone).toBe("+8613800138000");
    expect(await prisma.auditLog.count({ where: { userId: user.id, action: "bind.phone" } })).toBe(1);
    // Replaying the same code changes nothing.
    expect(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13800138000", code: lastCode(), ip: null })).toMatchObject({ ok: false });
  });

  it("refuses bad input with a clear error and sends nothing", async () => {
    const user = await makeUser(WEB, "oBadInput00000000000000000001");
    expect(await send(user.id, "12345")).toEqual({ ok: false, error: "invalid_phone" });
    expect(await send(user.id, "<script>@x", "email")).toEqual({ ok: false, error: "invalid_email" });
    expect(await send(user.id, "a".repeat(400), "email")).toEqual({ ok: false, error: "too_long" });
    expect(sent).toHaveLength(0);
    expect(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13800138000", code: "12ab56", ip: null })).toEqual({ ok: false, error: "invalid_input" });
  });

  it("locks a code after 5 wrong tries: the right code no longer works", async () => {
    const user = await makeUser(WEB, "oBrute000000000000000000000001");
    await send(user.id, "13900139000");
    const right = lastCode();
    const wrong = right === "000000" ? "111111" : "000000";
    const results = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) results.push(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13900139000", code: wrong, ip: null }));
    expect(results.slice(0, 4).map((result) => (result.ok === false && result.error === "wrong_code" ? result.triesLeft : undefined))).toEqual([4, 3, 2, 1]);
    expect(results[4]).toEqual({ ok: false, error: "locked" });
    expect(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13900139000", code: right, ip: null })).toEqual({ ok: false, error: "locked" });
  });

  it("counts parallel wrong guesses in the database: never more than 5", async () => {
    const user = await makeUser(WEB, "oParallelGuess000000000000001");
    await send(user.id, "13700137000");
    const wrong = lastCode() === "000000" ? "111111" : "000000";
    await Promise.all(Array.from({ length: 12 }, () => verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13700137000", code: wrong, ip: null })));
    const prisma = await db();
    expect((await prisma.verificationCode.findFirstOrThrow({ where: { userId: user.id } })).attempts).toBe(MAX_ATTEMPTS);
  });

  it("lets one of several parallel submissions of the right code win", async () => {
    const user = await makeUser(WEB, "oParallelRight000000000000001");
    await send(user.id, "13600136000");
    const results = await Promise.all(Array.from({ length: 5 }, () => verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13600136000", code: lastCode(), ip: null })));
    expect(results.filter((result) => result.ok === true)).toHaveLength(1);
    const prisma = await db();
    expect(await prisma.auditLog.count({ where: { userId: user.id } })).toBe(1);
  });

  it("expires codes after 5 minutes", async () => {
    const user = await makeUser(WEB, "oExpire0000000000000000000001");
    await send(user.id, "13500135000");
    const prisma = await db();
    await prisma.verificationCode.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await verifyBindCode({ userId: user.id, channel: "phone", rawTarget: "13500135000", code: lastCode(), ip: null })).toEqual({ ok: false, error: "expired" });
  });

  it("makes a resend wait 60 s, caps a target per day and an IP per day", async () => {
    const user = await makeUser(WEB, "oLimits000000000000000000001");
    const ip = nextIp();
    expect((await send(user.id, "13400134000", "phone", ip)).ok).toBe(true);
    const again = await send(user.id, "13400134000", "phone", ip);
    expect(again).toMatchObject({ ok: false, error: "resend_wait" });
    expect(again.ok === false && "retryIn" in again ? again.retryIn : 0).toBeGreaterThan(55);
    const prisma = await db();
    // Age the sends so the resend wait is over, then hit the daily cap of the number.
    for (let i = 0; i < 9; i++) {
      await prisma.verificationCode.updateMany({ where: { userId: user.id }, data: { createdAt: new Date(Date.now() - 61_000) } });
      expect((await send(user.id, "13400134000")).ok).toBe(true);
    }
    await prisma.verificationCode.updateMany({ where: { userId: user.id }, data: { createdAt: new Date(Date.now() - 61_000) } });
    expect(await send(user.id, "13400134000")).toEqual({ ok: false, error: "target_daily_limit" });

    const pumpIp = nextIp();
    const pumper = await makeUser(WEB, "oPumper000000000000000000001");
    let last;
    for (let i = 0; i < 31; i++) last = await send(pumper.id, `+861380000${String(1000 + i)}`, "phone", pumpIp);
    expect(last).toEqual({ ok: false, error: "ip_daily_limit" });
    expect(sent.length).toBe(10 + 30);
  });

  it("removes the code when sending fails, so nothing half-done remains", async () => {
    const user = await makeUser(WEB, "oSendFail000000000000000000001");
    const result = await sendBindCode({ userId: user.id, channel: "phone", rawTarget: "13300133000", ip: nextIp(), origin: "http://x", deliver: async () => { throw new Error("provider down"); } });
    expect(result).toEqual({ ok: false, error: "send_failed" });
    const prisma = await db();
    expect(await prisma.verificationCode.count({ where: { userId: user.id } })).toBe(0);
  });

  it("binds an email through the link in the message", async () => {
    const user = await makeUser(WEB, "oEmailLink00000000000000000001");
    await send(user.id, "Lin@Example.com", "email");
    const token = new URL(sent.at(-1)!.link!).searchParams.get("token")!;
    expect(await verifyBindLink(token, null)).toEqual({ ok: true, outcome: "bound", userId: user.id });
    expect(await verifyBindLink(token, null)).toMatchObject({ ok: false });
    const prisma = await db();
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBe("lin@example.com");
  });

  it("merges the WeChat user into the account that owns the proved phone, keeping its other methods and moving sessions", async () => {
    const prisma = await db();
    const existing = await makeUser(WEB, "oExistingOwner0000000000000001", { phone: "+8613200132000" });
    await prisma.account.create({ data: { userId: existing.id, type: "oauth", provider: "github", providerAccountId: "42" } });
    const newcomer = await makeUser(WEB2, "oNewcomer0000000000000000000001");
    await prisma.session.create({ data: { sessionToken: "newcomer-session", userId: newcomer.id, expires: new Date(Date.now() + 3_600_000) } });
    await send(newcomer.id, "13200132000");
    expect(await verifyBindCode({ userId: newcomer.id, channel: "phone", rawTarget: "13200132000", code: lastCode(), ip: null })).toEqual({ ok: true, outcome: "merged", userId: existing.id });
    expect(await prisma.user.findUnique({ where: { id: newcomer.id } })).toBeNull();
    expect((await prisma.wechatIdentity.findMany({ where: { userId: existing.id } })).map((row) => row.appId).sort()).toEqual([WEB, WEB2].sort());
    expect(await prisma.account.count({ where: { userId: existing.id, provider: "github" } })).toBe(1);
    expect((await prisma.session.findUniqueOrThrow({ where: { sessionToken: "newcomer-session" } })).userId).toBe(existing.id);
    expect(await prisma.auditLog.count({ where: { userId: existing.id, action: "merge.bind_phone" } })).toBe(1);
  });

  it("asks which identity to keep when both accounts have the same app, and drops nothing silently", async () => {
    const prisma = await db();
    const existing = await makeUser(WEB, "oOwnerSameApp0000000000000001", { email: "shared@example.com" });
    const newcomer = await makeUser(WEB, "oNewcomerSameApp00000000000001");
    await send(newcomer.id, "shared@example.com", "email");
    const asked = await verifyBindCode({ userId: newcomer.id, channel: "email", rawTarget: "shared@example.com", code: lastCode(), ip: null });
    expect(asked.ok).toBe("choose");
    if (asked.ok !== "choose") return;
    expect(asked.conflicts).toHaveLength(1);
    expect(asked.conflicts[0]!.options.map((option) => option.account).sort()).toEqual(["current", "existing"]);
    // Nothing merged yet.
    expect(await prisma.user.count({ where: { id: { in: [existing.id, newcomer.id] } } })).toBe(2);
    // An answer that names an identity of neither account is not an answer.
    expect((await bindVerified(asked.verificationId, newcomer.id, { [WEB]: "someone-else" }, null)).ok).toBe("choose");
    const keepCurrent = asked.conflicts[0]!.options.find((option) => option.account === "current")!.identityId;
    expect(await bindVerified(asked.verificationId, newcomer.id, { [WEB]: keepCurrent }, null)).toEqual({ ok: true, outcome: "merged", userId: existing.id });
    const identities = await prisma.wechatIdentity.findMany({ where: { userId: existing.id } });
    expect(identities.map((row) => row.openid)).toEqual(["oNewcomerSameApp00000000000001"]);
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { userId: existing.id, action: "merge.bind_email" } });
    expect(JSON.stringify(audit.detail)).toContain("oOwnerSameApp0000000000000001");
  });

  it("lets exactly one of two concurrent binds of one number win, leaving nothing half-done", async () => {
    const first = await makeUser(WEB, "oRaceOne00000000000000000001");
    const second = await makeUser(WEB2, "oRaceTwo00000000000000000001");
    await send(first.id, "13100131000");
    const firstCode = lastCode();
    const prisma = await db();
    await prisma.verificationCode.updateMany({ where: { userId: first.id }, data: { createdAt: new Date(Date.now() - 61_000) } });
    await send(second.id, "13100131000");
    const secondCode = lastCode();
    const results = await Promise.all([
      verifyBindCode({ userId: first.id, channel: "phone", rawTarget: "13100131000", code: firstCode, ip: null }),
      verifyBindCode({ userId: second.id, channel: "phone", rawTarget: "13100131000", code: secondCode, ip: null }),
    ]);
    const winners = results.filter((result) => result.ok === true && result.outcome === "bound");
    expect(winners).toHaveLength(1);
    const owners = await prisma.user.findMany({ where: { phone: "+8613100131000" } });
    expect(owners).toHaveLength(1);
    // The other either joined the winner after proof, or was told to retry with nothing written.
    const loser = results.find((result) => !(result.ok === true && result.outcome === "bound"))!;
    expect(loser.ok === true ? loser.outcome : loser.ok === false ? loser.error : "choose").toMatch(/merged|taken_meanwhile/);
    expect(await prisma.user.count({ where: { id: { in: [first.id, second.id] } } })).toBe(loser.ok === true ? 1 : 2);
  });
});

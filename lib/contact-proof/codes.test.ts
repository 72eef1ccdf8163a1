/**
 * Binding on the embedded database and, with TEST_DATABASE_URL, on PostgreSQL: the code
 * lifecycle, proofs tied to the browser that asked, a proved contact moving (never merging),
 * the database-held send limits, and races.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { reloadEnv } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import {
  ACCOUNT_DAILY_CAP,
  confirmBindLink,
  inspectBindLink,
  IP_DAILY_CAP,
  MAX_ATTEMPTS,
  sendBindCode,
  sessionProofHash,
  TARGET_DAILY_CAP,
  verifyBindCode,
  type Deliver,
  type NotifyMoved,
} from "./codes";

const WEB = "wx8e0b5c61d2a3f470";
const WEB2 = "wx8e0b5c61d2a3f471";
let sent: { target: string; code: string; link: string | undefined }[] = [];
const deliver: Deliver = async (message) => {
  sent.push({ target: message.target, code: message.code, link: message.link });
};
let notices: { channel: string; target: string }[] = [];
const notify: NotifyMoved = async (message) => {
  notices.push({ channel: message.channel, target: message.target });
};
const lastCode = () => sent.at(-1)!.code;
let counter = 0;
/** A fresh IP per call keeps the per-IP cap out of tests about other limits. */
const nextIp = () => `198.51.${Math.floor(++counter / 250)}.${counter % 250}`;

type TestUser = { id: string; session: string };

async function makeUser(appId: string, openid: string, extra: { phone?: string; email?: string } = {}): Promise<TestUser> {
  const prisma = await db();
  const user = await prisma.user.create({ data: { name: openid, ...extra, wechatIdentities: { create: { appId, openid } } } });
  const session = `session-${openid}`;
  await prisma.session.create({ data: { sessionToken: session, userId: user.id, expires: new Date(Date.now() + 3_600_000) } });
  return { id: user.id, session };
}

function send(user: TestUser, target: string, channel: "phone" | "email" = "phone", ip = nextIp(), session = user.session) {
  return sendBindCode({ userId: user.id, sessionHash: sessionProofHash(session), channel, rawTarget: target, ip, origin: "http://localhost", deliver });
}

function verify(user: TestUser, target: string, code = lastCode(), channel: "phone" | "email" = "phone", session = user.session) {
  return verifyBindCode({ userId: user.id, sessionHash: sessionProofHash(session), channel, rawTarget: target, code, ip: null, notify });
}

/** Lets every resend wait run out, as if a minute had passed. */
async function passResendWait() {
  const prisma = await db();
  await prisma.limitHit.deleteMany({ where: { bucket: "bind.resend" } });
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
    notices = [];
    const prisma = await db();
    await prisma.$transaction([
      prisma.limitHit.deleteMany(),
      prisma.verificationCode.deleteMany(),
      prisma.auditLog.deleteMany(),
      prisma.session.deleteMany(),
      prisma.account.deleteMany(),
      prisma.wechatIdentity.deleteMany(),
      prisma.user.deleteMany(),
    ]);
  });

  it("binds a phone after the right code, stores only a hash, and writes an audit entry", async () => {
    const user = await makeUser(WEB, "oBindPhone0000000000000000001");
    expect(await send(user, "138 0013 8000")).toMatchObject({ ok: true, resendIn: 60, expiresIn: 300 });
    expect(sent[0]!.target).toBe("+8613800138000");
    const prisma = await db();
    const row = await prisma.verificationCode.findFirstOrThrow({ where: { userId: user.id } });
    expect(row.codeHash).not.toContain(lastCode());
    expect(row.sessionHash).toBe(sessionProofHash(user.session));
    expect(row.sessionHash).toBe(createHash("sha256").update(user.session).digest("hex"));
    expect(await verify(user, "+86 13800138000")).toEqual({ ok: true, outcome: "bound", userId: user.id });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).phone).toBe("+8613800138000");
    expect(await prisma.auditLog.count({ where: { userId: user.id, action: "bind.phone" } })).toBe(1);
    // Replaying the same code changes nothing.
    expect(await verify(user, "13800138000")).toMatchObject({ ok: false });
  });

  it("refuses bad input and numbers of countries the site does not send to, and sends nothing", async () => {
    const user = await makeUser(WEB, "oBadInput00000000000000000001");
    expect(await send(user, "12345")).toEqual({ ok: false, error: "invalid_phone" });
    expect(await send(user, "+1 650 253 0000")).toEqual({ ok: false, error: "country_unsupported", country: "1" });
    expect(await send(user, "<script>@x", "email")).toEqual({ ok: false, error: "invalid_email" });
    expect(await send(user, "a".repeat(400), "email")).toEqual({ ok: false, error: "too_long" });
    expect(sent).toHaveLength(0);
    expect(await verify(user, "13800138000", "12ab56")).toEqual({ ok: false, error: "invalid_input" });
  });

  it("a code asked for in one browser proves nothing in another, even for the same user", async () => {
    const attacker = await makeUser(WEB, "oOtherBrowser000000000000001");
    await send(attacker, "13800138111");
    const prisma = await db();
    await prisma.session.create({ data: { sessionToken: "second-browser", userId: attacker.id, expires: new Date(Date.now() + 3_600_000) } });
    expect(await verify(attacker, "13800138111", lastCode(), "phone", "second-browser")).toEqual({ ok: false, error: "no_code" });
    expect(
      await verifyBindCode({ userId: attacker.id, sessionHash: undefined, channel: "phone", rawTarget: "13800138111", code: lastCode(), ip: null, notify }),
    ).toEqual({ ok: false, error: "no_code" });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: attacker.id } })).phone).toBeNull();
    // In the browser that asked, the same code still works.
    expect(await verify(attacker, "13800138111")).toMatchObject({ ok: true, outcome: "bound" });
  });

  it("an emailed link opened anywhere but the requesting browser binds and merges nothing (finding 1)", async () => {
    const prisma = await db();
    const victim = await makeUser(WEB, "oVictim000000000000000000001", { email: "victim@example.com" });
    const attacker = await makeUser(WEB2, "oAttacker00000000000000000001");
    await send(attacker, "victim@example.com", "email");
    const token = new URL(sent.at(-1)!.link!).searchParams.get("token")!;
    // A prefetch has no session; the victim has his own.
    expect(await inspectBindLink(token, undefined)).toBe("other_browser");
    expect(await inspectBindLink(token, { userId: victim.id, sessionHash: sessionProofHash(victim.session) })).toBe("other_browser");
    expect(await confirmBindLink(token, { userId: victim.id, sessionHash: sessionProofHash(victim.session), ip: null, notify })).toEqual({
      ok: false,
      error: "other_browser",
    });
    expect(await confirmBindLink(token, { userId: attacker.id, sessionHash: sessionProofHash("another-session"), ip: null, notify })).toEqual({
      ok: false,
      error: "other_browser",
    });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: victim.id } })).email).toBe("victim@example.com");
    expect(await prisma.wechatIdentity.count({ where: { userId: victim.id } })).toBe(1);
    expect((await prisma.session.findUniqueOrThrow({ where: { sessionToken: attacker.session } })).userId).toBe(attacker.id);
    expect(await prisma.user.count()).toBe(2);
  });

  it("binds an email through the link's button in the browser that asked, once", async () => {
    const user = await makeUser(WEB, "oEmailLink00000000000000000001");
    await send(user, "Lin@Example.com", "email");
    const token = new URL(sent.at(-1)!.link!).searchParams.get("token")!;
    const viewer = { userId: user.id, sessionHash: sessionProofHash(user.session) };
    expect(await inspectBindLink(token, viewer)).toBe("confirm");
    const prisma = await db();
    // Looking at the page binds nothing.
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBeNull();
    expect(await confirmBindLink(token, { ...viewer, ip: null, notify })).toEqual({ ok: true, outcome: "bound", userId: user.id });
    expect(await confirmBindLink(token, { ...viewer, ip: null, notify })).toMatchObject({ ok: false });
    expect(await inspectBindLink(token, viewer)).toBe("invalid");
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).email).toBe("lin@example.com");
  });

  it("a proved phone of another account moves to the prover; the owner keeps his WeChat, sessions and data, sees it, and is told (finding 2)", async () => {
    const prisma = await db();
    const owner = await makeUser(WEB, "oExistingOwner0000000000000001", { phone: "+8613200132000" });
    await prisma.account.create({ data: { userId: owner.id, type: "oauth", provider: "github", providerAccountId: "42" } });
    const newcomer = await makeUser(WEB, "oNewcomer0000000000000000000001");
    await send(newcomer, "13200132000");
    expect(await verify(newcomer, "13200132000")).toEqual({ ok: true, outcome: "moved", userId: newcomer.id });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: newcomer.id } })).phone).toBe("+8613200132000");
    const kept = await prisma.user.findUniqueOrThrow({ where: { id: owner.id }, include: { wechatIdentities: true } });
    expect(kept.phone).toBeNull();
    expect(kept.wechatIdentities.map((row) => row.openid)).toEqual(["oExistingOwner0000000000000001"]);
    expect(await prisma.account.count({ where: { userId: owner.id, provider: "github" } })).toBe(1);
    expect((await prisma.session.findUniqueOrThrow({ where: { sessionToken: owner.session } })).userId).toBe(owner.id);
    expect((await prisma.session.findUniqueOrThrow({ where: { sessionToken: newcomer.session } })).userId).toBe(newcomer.id);
    const moved = await prisma.auditLog.findFirstOrThrow({ where: { userId: owner.id, action: "contact.moved_away" } });
    expect(moved.detail).toEqual({ channel: "phone", target: "+86 132****2000" });
    expect(notices).toEqual([{ channel: "phone", target: "+8613200132000" }]);
  });

  it("lets a number get its next code at once after a proof, but not while a code is in flight", async () => {
    const first = await makeUser(WEB, "oAfterProof00000000000000001");
    const second = await makeUser(WEB2, "oAfterProof00000000000000002");
    await send(first, "13200132111");
    expect(await send(second, "13200132111")).toMatchObject({ ok: false, error: "resend_wait" });
    expect(await verify(first, "13200132111")).toMatchObject({ ok: true });
    expect((await send(second, "13200132111")).ok).toBe(true);
  });

  it("locks a code after 5 wrong tries: the right code no longer works", async () => {
    const user = await makeUser(WEB, "oBrute000000000000000000000001");
    await send(user, "13900139000");
    const right = lastCode();
    const wrong = right === "000000" ? "111111" : "000000";
    const results = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) results.push(await verify(user, "13900139000", wrong));
    expect(results.slice(0, 4).map((result) => (result.ok === false && result.error === "wrong_code" ? result.triesLeft : undefined))).toEqual([4, 3, 2, 1]);
    expect(results[4]).toEqual({ ok: false, error: "locked" });
    expect(await verify(user, "13900139000", right)).toEqual({ ok: false, error: "locked" });
  });

  it("counts parallel wrong guesses in the database: never more than 5", async () => {
    const user = await makeUser(WEB, "oParallelGuess000000000000001");
    await send(user, "13700137000");
    const wrong = lastCode() === "000000" ? "111111" : "000000";
    await Promise.all(Array.from({ length: 12 }, () => verify(user, "13700137000", wrong)));
    const prisma = await db();
    expect((await prisma.verificationCode.findFirstOrThrow({ where: { userId: user.id } })).attempts).toBe(MAX_ATTEMPTS);
  });

  it("lets one of several parallel submissions of the right code win", async () => {
    const user = await makeUser(WEB, "oParallelRight000000000000001");
    await send(user, "13600136000");
    const results = await Promise.all(Array.from({ length: 5 }, () => verify(user, "13600136000")));
    expect(results.filter((result) => result.ok === true)).toHaveLength(1);
    const prisma = await db();
    expect(await prisma.auditLog.count({ where: { userId: user.id } })).toBe(1);
  });

  it("expires codes after 5 minutes", async () => {
    const user = await makeUser(WEB, "oExpire0000000000000000000001");
    await send(user, "13500135000");
    const prisma = await db();
    await prisma.verificationCode.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1) } });
    expect(await verify(user, "13500135000")).toEqual({ ok: false, error: "expired" });
  });

  it("makes every account wait 60 s before one number gets another code, and caps a number per day", async () => {
    const first = await makeUser(WEB, "oWaitOne000000000000000000001");
    const second = await makeUser(WEB2, "oWaitTwo000000000000000000001");
    expect((await send(first, "13400134000")).ok).toBe(true);
    const again = await send(second, "13400134000");
    expect(again).toMatchObject({ ok: false, error: "resend_wait" });
    expect(again.ok === false && "retryIn" in again ? again.retryIn : 0).toBeGreaterThan(55);
    expect(sent).toHaveLength(1);
    for (let i = 1; i < TARGET_DAILY_CAP; i++) {
      await passResendWait();
      expect((await send(i % 2 ? second : first, "13400134000")).ok).toBe(true);
    }
    await passResendWait();
    const capped = await send(first, "13400134000");
    expect(capped).toMatchObject({ ok: false, error: "target_daily_limit" });
    expect(capped.ok === false && "retryIn" in capped ? capped.retryIn : 0).toBeGreaterThan(86_000);
  });

  it("caps one account's sends per day, and parallel sends cannot exceed it", async () => {
    const user = await makeUser(WEB, "oAccountCap0000000000000000001");
    const results = await Promise.all(Array.from({ length: ACCOUNT_DAILY_CAP + 5 }, (_, i) => send(user, `+861380000${String(2000 + i)}`)));
    expect(results.filter((result) => result.ok)).toHaveLength(ACCOUNT_DAILY_CAP);
    expect(results.filter((result) => !result.ok).every((result) => result.ok === false && result.error === "account_daily_limit")).toBe(true);
    expect(sent).toHaveLength(ACCOUNT_DAILY_CAP);
  });

  it("caps one IP's sends per day across accounts", async () => {
    const ip = "203.0.113.77";
    const users = await Promise.all([1, 2, 3, 4].map((n) => makeUser(WEB, `oPumper${n}00000000000000000001`)));
    const results = [];
    for (let i = 0; i < IP_DAILY_CAP + 1; i++) results.push(await send(users[i % 4]!, `+861380000${String(3000 + i)}`, "phone", ip));
    expect(results.slice(0, IP_DAILY_CAP).every((result) => result.ok)).toBe(true);
    expect(results.at(-1)).toMatchObject({ ok: false, error: "ip_daily_limit" });
  });

  it("stops SMS at the site's daily budget, but not email", async () => {
    vi.stubEnv("LIMIT_SMS_DAILY_BUDGET", "3");
    reloadEnv();
    try {
      const users = await Promise.all([1, 2, 3, 4].map((n) => makeUser(WEB, `oBudget${n}00000000000000000001`)));
      const results = await Promise.all(users.map((user, i) => send(user, `+861390000${String(4000 + i)}`)));
      expect(results.filter((result) => result.ok)).toHaveLength(3);
      expect(results.find((result) => !result.ok)).toMatchObject({ ok: false, error: "sms_budget" });
      expect((await send(users[0]!, "budget@example.com", "email")).ok).toBe(true);
    } finally {
      vi.stubEnv("LIMIT_SMS_DAILY_BUDGET", "1000");
      reloadEnv();
    }
  });

  it("gives the uses back when sending fails, so nothing half-done remains", async () => {
    const user = await makeUser(WEB, "oSendFail000000000000000000001");
    const result = await sendBindCode({
      userId: user.id,
      sessionHash: sessionProofHash(user.session),
      channel: "phone",
      rawTarget: "13300133000",
      ip: nextIp(),
      origin: "http://x",
      deliver: async () => {
        throw new Error("provider down");
      },
    });
    expect(result).toEqual({ ok: false, error: "send_failed" });
    const prisma = await db();
    expect(await prisma.verificationCode.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.limitHit.count()).toBe(0);
    // No resend wait was spent on the failed send.
    expect((await send(user, "13300133000")).ok).toBe(true);
  });

  it("two concurrent proofs of one number end with one holder and no account lost", async () => {
    const first = await makeUser(WEB, "oRaceOne00000000000000000001");
    const second = await makeUser(WEB2, "oRaceTwo00000000000000000001");
    await send(first, "13100131000");
    const firstCode = lastCode();
    await passResendWait();
    await send(second, "13100131000");
    const secondCode = lastCode();
    const results = await Promise.all([verify(first, "13100131000", firstCode), verify(second, "13100131000", secondCode)]);
    expect(results.every((result) => result.ok === true || (result.ok === false && result.error === "taken_meanwhile"))).toBe(true);
    const prisma = await db();
    expect(await prisma.user.findMany({ where: { phone: "+8613100131000" } })).toHaveLength(1);
    expect(await prisma.user.count({ where: { id: { in: [first.id, second.id] } } })).toBe(2);
    expect(await prisma.wechatIdentity.count()).toBe(2);
  });
});

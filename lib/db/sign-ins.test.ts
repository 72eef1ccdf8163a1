/**
 * The database half of a sign-in, all or nothing: the person, the session with its history line,
 * and the attempt it finishes (an OAuth state, a follow-to-login ticket) closed in one
 * transaction. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { testDatabases } from "@/lib/test/databases";
import { identity, meta, WEB, WEB2 } from "@/lib/test/people";
import { insertConfirmedTicket } from "@/lib/test/tickets";
import { db } from "./client";
import { createLoginState } from "./login-states";
import { OUTCOME_SUCCESS, signInWithWechat } from "./sign-ins";

describe.each(testDatabases())("signing in on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([
      prisma.loginTicket.deleteMany(),
      prisma.wechatLoginState.deleteMany(),
      prisma.session.deleteMany(),
      prisma.wechatIdentity.deleteMany(),
      prisma.user.deleteMany(),
    ]);
  });

  it("leaves no partial rows when a later step of the sign-in fails", async () => {
    await expect(
      // The last step, closing the attempt, finds no ticket to close.
      signInWithWechat(identity(WEB, "oFail00000000000000000000001", "oUnionFail000000000000000001"), meta, {
        attempt: { kind: "ticket", id: "no-such-ticket", bindingHash: "x", confirmedAfter: new Date() },
      }),
    ).rejects.toMatchObject({ name: "AppError", code: "already_redeemed" });
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

  it("closes the OAuth state it finishes with the outcome and the user", async () => {
    const created = await createLoginState({ appId: WEB, mode: "redirect", returnTo: "/account", bindingHash: sha256(randomToken(32)), ttlSeconds: 60 });
    if (!created.ok) throw new Error("no state");
    const id = sha256(created.state);
    const result = await signInWithWechat(identity(WEB, "oState00000000000000000000001"), meta, { attempt: { kind: "login_state", id } });
    const prisma = await db();
    expect(await prisma.wechatLoginState.findUniqueOrThrow({ where: { id } })).toMatchObject({ outcome: OUTCOME_SUCCESS, userId: result.userId });
    expect(await prisma.session.findUniqueOrThrow({ where: { sessionToken: result.sessionToken } })).toMatchObject({
      userId: result.userId,
      method: "wechat:website",
      ip: "127.0.0.1",
    });
    expect(await prisma.signInEvent.count({ where: { userId: result.userId } })).toBe(1);
  });

  it("redeems a confirmed ticket once, for its own browser, within the redeem window", async () => {
    const prisma = await db();
    const { userId } = await signInWithWechat(identity(WEB, "oTicket0000000000000000000001"), meta);
    const sessionsBefore = await prisma.session.count();
    const bindingHash = sha256(randomToken(32));
    const ticket = await insertConfirmedTicket({ userId, bindingHash, confirmedAt: new Date(Date.now() - 60_000) });
    const attempt = { kind: "ticket" as const, id: ticket.id, bindingHash, confirmedAfter: new Date(Date.now() - 120_000) };

    // Another browser, and this browser too late: the ticket stays confirmed, no session opens.
    await expect(signInWithWechat({ userId }, meta, { attempt: { ...attempt, bindingHash: sha256(randomToken(32)) } })).rejects.toMatchObject({
      name: "AppError",
      code: "already_redeemed",
    });
    await expect(signInWithWechat({ userId }, meta, { attempt: { ...attempt, confirmedAfter: new Date() } })).rejects.toMatchObject({
      name: "AppError",
      code: "already_redeemed",
    });
    expect((await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("confirmed");
    expect(await prisma.session.count()).toBe(sessionsBefore);

    const redeemed = await signInWithWechat({ userId }, meta, { attempt });
    expect(redeemed).toMatchObject({ userId, createdUser: false });
    const row = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.status).toBe("redeemed");
    expect(row.redeemedAt).toBeInstanceOf(Date);
    await expect(signInWithWechat({ userId }, meta, { attempt })).rejects.toMatchObject({ name: "AppError", code: "already_redeemed" });
    expect(await prisma.session.count()).toBe(sessionsBefore + 1);
  });

  it("lets only one of two racing redeems of a ticket open a session", async () => {
    const prisma = await db();
    const { userId } = await signInWithWechat(identity(WEB, "oRedeemRace000000000000000001"), meta);
    const bindingHash = sha256(randomToken(32));
    const ticket = await insertConfirmedTicket({ userId, bindingHash });
    const attempt = { kind: "ticket" as const, id: ticket.id, bindingHash, confirmedAfter: new Date(Date.now() - 120_000) };
    const results = await Promise.allSettled([signInWithWechat({ userId }, meta, { attempt }), signInWithWechat({ userId }, meta, { attempt })]);
    expect(results.map((result) => result.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((result) => result.status === "rejected")).toMatchObject({
      reason: expect.objectContaining({ name: "AppError", code: "already_redeemed" }),
    });
    expect(await prisma.session.count({ where: { userId } })).toBe(2);
  });

  it("reads what the landing rule needs and the name in the same transaction, only when asked", async () => {
    const plain = await signInWithWechat(identity(WEB2, "oFacts00000000000000000000001"), meta);
    expect(plain).not.toHaveProperty("facts");
    expect(plain).not.toHaveProperty("name");
    const asked = await signInWithWechat(identity(WEB2, "oFacts00000000000000000000001"), meta, { withFacts: true, withName: true });
    // This sign-in's own history line counts.
    expect(asked.facts).toEqual({ phone: null, email: null, signIns: 2 });
    expect(asked.name).toBe("n-oFacts00000000000000000000001");
  });
});

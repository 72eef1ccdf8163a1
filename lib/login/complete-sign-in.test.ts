/**
 * The step every sign-in surface ends with: the person resolved, the session opened, the history
 * written and the attempt closed in one transaction, then the landing rule. On the embedded
 * database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { claimLoginState, createLoginState } from "@/lib/db/login-states";
import { testDatabases } from "@/lib/test/databases";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { identity, WEB } from "@/lib/test/people";
import { insertConfirmedTicket } from "@/lib/test/tickets";
import { completeSignIn, type BrowserContext } from "./complete-sign-in";

const browser: BrowserContext = { userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0", ip: "203.0.113.7" };

/** An OAuth state as the callback holds it: minted for a browser, then claimed by its callback. */
async function claimedState(): Promise<string> {
  const bindingHash = sha256(randomToken(32));
  const created = await createLoginState({ appId: WEB, mode: "redirect", returnTo: "/account", bindingHash, ttlSeconds: 60 });
  if (!created.ok) throw new Error("refused");
  const claim = await claimLoginState(created.state, bindingHash, sha256("code"));
  if (claim.kind !== "claimed") throw new Error(claim.kind);
  return claim.row.id;
}

restoreEnvAfterEach();

describe.each(testDatabases())("completing a sign-in on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("closes the attempt with the outcome and the user, and opens the session with its history line", async () => {
    const id = await claimedState();
    const signedIn = await completeSignIn({
      subject: identity(WEB, "oComplete000000000000000000001"),
      method: "wechat:website",
      attempt: { kind: "login_state", id },
      browser,
      returnTo: "/account",
    });
    expect(signedIn).toMatchObject({ createdUser: true, landing: "/account", session: { token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } });
    expect(signedIn).not.toHaveProperty("name");
    const prisma = await db();
    expect(await prisma.wechatLoginState.findUniqueOrThrow({ where: { id } })).toMatchObject({ outcome: "success", userId: signedIn.userId });
    expect(await prisma.session.findUniqueOrThrow({ where: { sessionToken: signedIn.session.token } })).toMatchObject({
      userId: signedIn.userId,
      method: "wechat:website",
      ip: "203.0.113.7",
      expires: signedIn.session.expires,
    });
    expect(await prisma.signInEvent.findMany({ where: { userId: signedIn.userId }, select: { method: true, ip: true } })).toEqual([
      { method: "wechat:website", ip: "203.0.113.7" },
    ]);
  });

  it("keeps the attempt open when the session cannot be written: the close and the session are one transaction", async () => {
    const id = await claimedState();
    const prisma = await db();
    const before = { sessions: await prisma.session.count(), history: await prisma.signInEvent.count() };
    // A person resolved earlier who no longer exists: closing the state works, the session insert fails.
    await expect(
      completeSignIn({ subject: { userId: "deleted-user" }, method: "wechat:follow", attempt: { kind: "login_state", id }, browser, returnTo: "/account" }),
    ).rejects.toThrow();
    expect(await prisma.wechatLoginState.findUniqueOrThrow({ where: { id } })).toMatchObject({ outcome: null, userId: null });
    expect({ sessions: await prisma.session.count(), history: await prisma.signInEvent.count() }).toEqual(before);
  });

  it("opens no session for an attempt that was closed already", async () => {
    const prisma = await db();
    const { userId } = await completeSignIn({
      subject: identity(WEB, "oClosed00000000000000000000001"),
      method: "wechat:website",
      attempt: { kind: "login_state", id: await claimedState() },
      browser,
      returnTo: "/account",
    });
    const bindingHash = sha256(randomToken(32));
    const ticket = await insertConfirmedTicket({ userId, bindingHash });
    await prisma.loginTicket.update({ where: { id: ticket.id }, data: { status: "redeemed", redeemedAt: new Date() } });
    const before = { sessions: await prisma.session.count({ where: { userId } }), history: await prisma.signInEvent.count({ where: { userId } }) };
    await expect(
      completeSignIn({
        subject: { userId },
        method: "wechat:follow",
        attempt: { kind: "ticket", id: ticket.id, bindingHash, confirmedAfter: new Date(Date.now() - 120_000) },
        browser,
        returnTo: "/account",
        withName: true,
      }),
    ).rejects.toMatchObject({ name: "AppError", code: "already_redeemed" });
    expect({ sessions: await prisma.session.count({ where: { userId } }), history: await prisma.signInEvent.count({ where: { userId } }) }).toEqual(before);
  });

  it("lands on /bind first while BIND_MODE requires a contact the user has not bound, then where they were going", async () => {
    withEnv({ BIND_MODE: "required", BIND_CHANNELS: "phone" });
    const subject = identity(WEB, "oBind000000000000000000000001");
    const signIn = async () =>
      completeSignIn({
        subject,
        method: "wechat:website",
        attempt: { kind: "login_state", id: await claimedState() },
        browser,
        returnTo: "/account?tab=sessions",
      });
    const first = await signIn();
    expect(first.landing).toBe("/bind?returnTo=%2Faccount%3Ftab%3Dsessions");
    // Required means every time, not only at the first sign-in; an email does not count for phone.
    const prisma = await db();
    await prisma.user.update({ where: { id: first.userId }, data: { email: "lin@example.com" } });
    expect((await signIn()).landing).toBe("/bind?returnTo=%2Faccount%3Ftab%3Dsessions");
    await prisma.user.update({ where: { id: first.userId }, data: { phone: "+8613800138000" } });
    expect((await signIn()).landing).toBe("/account?tab=sessions");
  });

  it("offers /bind once with BIND_MODE=optional, and never with binding off", async () => {
    const subject = identity(WEB, "oOptional0000000000000000000001");
    const signIn = async () =>
      completeSignIn({ subject, method: "wechat:website", attempt: { kind: "login_state", id: await claimedState() }, browser, returnTo: "/docs" });
    withEnv({ BIND_MODE: "optional" });
    expect((await signIn()).landing).toBe("/bind?returnTo=%2Fdocs");
    expect((await signIn()).landing).toBe("/docs");
    withEnv({ BIND_MODE: "off" });
    const newcomer = await completeSignIn({
      subject: identity(WEB, "oNoBinding000000000000000000001"),
      method: "wechat:website",
      attempt: { kind: "login_state", id: await claimedState() },
      browser,
      returnTo: "/docs",
    });
    expect(newcomer.landing).toBe("/docs");
  });

  it("returns the display name when asked, as the follow-to-login page shows it", async () => {
    const prisma = await db();
    const user = await prisma.user.create({ data: { name: "王芳" } });
    const bindingHash = sha256(randomToken(32));
    const ticket = await insertConfirmedTicket({ userId: user.id, bindingHash });
    const signedIn = await completeSignIn({
      subject: { userId: user.id },
      method: "wechat:follow",
      attempt: { kind: "ticket", id: ticket.id, bindingHash, confirmedAfter: new Date(Date.now() - 120_000) },
      browser,
      returnTo: "/account",
      withName: true,
    });
    expect(signedIn).toMatchObject({ userId: user.id, createdUser: false, name: "王芳", landing: "/account" });
    expect((await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe("redeemed");
  });
});

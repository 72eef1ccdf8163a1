/**
 * Server-minted OAuth states: single use, expiring, bound to the browser that asked. A claim is
 * what stands between a returned code and its one exchange, so it is played as racing callbacks
 * and replays from other browsers would play it. On the embedded database and (with
 * TEST_DATABASE_URL) PostgreSQL, where parallel claims really run in parallel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import {
  claimLoginState,
  closeLoginStatesOfUser,
  createLoginState,
  findLoginState,
  markLoginEscalated,
  recordLoginOutcome,
  takeEscalatedAttempt,
  type NewLoginState,
} from "./login-states";

const WEB = "wx8e0b5c61d2a3f470";

function newState(bindingHash: string, overrides: Partial<NewLoginState> = {}): NewLoginState {
  return { appId: WEB, mode: "redirect", returnTo: "/account", bindingHash, ttlSeconds: 60, ...overrides };
}

/** A fresh state for a new browser: the state as WeChat returns it, and the browser's binding hash. */
async function mint(overrides: Partial<NewLoginState> = {}) {
  const bindingHash = sha256(randomToken(32));
  const created = await createLoginState(newState(bindingHash, overrides));
  if (!created.ok) throw new Error("refused");
  return { state: created.state, bindingHash, id: sha256(created.state) };
}

describe.each(testDatabases())("OAuth states on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([prisma.limitHit.deleteMany(), prisma.wechatLoginState.deleteMany()]);
  });

  it("lets exactly one of parallel claims from the state's own browser spend it", async () => {
    const minted = await Promise.all(Array.from({ length: 5 }, () => mint()));
    for (const { state, bindingHash, id } of minted) {
      const claims = await Promise.all([1, 2, 3].map((n) => claimLoginState(state, bindingHash, sha256(`code-${n}`))));
      expect(claims.map((claim) => claim.kind).sort()).toEqual(["already_used", "already_used", "claimed"]);
      const winner = claims.find((claim) => claim.kind === "claimed")!;
      const row = (await findLoginState(id))!;
      // The stored code is the winner's: a losing callback cannot pass for the one that spent it.
      expect(row.codeHash).toBe(winner.kind === "claimed" ? winner.row.codeHash : undefined);
      expect(row.consumedAt).toBeInstanceOf(Date);
    }
  });

  it("answers a claim from another browser, or one without a binding, with wrong_browser and changes nothing", async () => {
    const { state, bindingHash, id } = await mint();
    const before = await findLoginState(id);
    expect(await claimLoginState(state, sha256(randomToken(32)), sha256("code"))).toMatchObject({ kind: "wrong_browser", row: { id } });
    expect(await claimLoginState(state, undefined, sha256("code"))).toMatchObject({ kind: "wrong_browser" });
    expect(await findLoginState(id)).toEqual(before);
    expect(before).toMatchObject({ consumedAt: null, codeHash: null });
    // Its own browser can still use it.
    expect((await claimLoginState(state, bindingHash, sha256("code"))).kind).toBe("claimed");
    // And once used, another browser still learns only that it is not theirs.
    expect((await claimLoginState(state, sha256(randomToken(32)), null)).kind).toBe("wrong_browser");
  });

  it("refuses an expired state without spending it", async () => {
    const { state, bindingHash, id } = await mint();
    const prisma = await db();
    await prisma.wechatLoginState.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await claimLoginState(state, bindingHash, sha256("code"))).toMatchObject({ kind: "expired", row: { id, returnTo: "/account" } });
    expect(await findLoginState(id)).toMatchObject({ consumedAt: null, codeHash: null });
  });

  it("answers a second claim with already_used and keeps the first code", async () => {
    const { state, bindingHash, id } = await mint();
    expect((await claimLoginState(state, bindingHash, sha256("first"))).kind).toBe("claimed");
    expect(await claimLoginState(state, bindingHash, sha256("second"))).toMatchObject({ kind: "already_used", row: { id, codeHash: sha256("first") } });
    expect((await findLoginState(id))!.codeHash).toBe(sha256("first"));
  });

  it("knows no state it did not mint, nor one given as its stored hash", async () => {
    const { bindingHash, id } = await mint();
    expect(await claimLoginState(randomToken(24), bindingHash, null)).toEqual({ kind: "unknown" });
    expect(await claimLoginState(id, bindingHash, null)).toEqual({ kind: "unknown" });
    const prisma = await db();
    expect(await prisma.wechatLoginState.count({ where: { consumedAt: { not: null } } })).toBe(0);
  });

  it("mints only within its limits, and a refused limit writes nothing", async () => {
    const bindingHash = sha256(randomToken(32));
    const limits = [{ bucket: "login.browser", key: bindingHash, max: 1, ttlSeconds: 600 }];
    const first = await createLoginState(newState(bindingHash), limits);
    expect(first).toMatchObject({ ok: true, state: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    const refused = await createLoginState(newState(bindingHash), limits);
    expect(refused).toEqual({ ok: false, bucket: "login.browser", retryAfterSeconds: expect.any(Number) });
    expect(refused.ok === false && refused.retryAfterSeconds).toBeGreaterThan(590);
    const prisma = await db();
    expect(await prisma.wechatLoginState.count({ where: { bindingHash } })).toBe(1);
  });

  it("records the outcome, and a sign-out closes only that user's successful states", async () => {
    const mine = await mint();
    const failed = await mint();
    const theirs = await mint();
    const prisma = await db();
    await prisma.wechatLoginState.update({ where: { id: mine.id }, data: { outcome: "success", userId: "user-a" } });
    await prisma.wechatLoginState.update({ where: { id: theirs.id }, data: { outcome: "success", userId: "user-b" } });
    await prisma.wechatLoginState.update({ where: { id: failed.id }, data: { userId: "user-a" } });
    await recordLoginOutcome(failed.id, "error:40029");

    await closeLoginStatesOfUser("user-a");
    expect((await findLoginState(mine.id))!.outcome).toBe("signed_out");
    expect((await findLoginState(failed.id))!.outcome).toBe("error:40029");
    expect((await findLoginState(theirs.id))!.outcome).toBe("success");
  });

  it("hands an escalated state's attempt to one consent start of the same browser only, within the window", async () => {
    const silent = await mint({ mode: "oa_base", attemptId: "attempt-escalated", traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" });
    const claim = await claimLoginState(silent.state, silent.bindingHash, sha256("code"));
    expect(claim.kind).toBe("claimed");
    await markLoginEscalated(silent.id);
    const since = new Date(Date.now() - 60_000);
    expect(await takeEscalatedAttempt(sha256(randomToken(32)), WEB, since)).toBeUndefined();
    expect(await takeEscalatedAttempt(silent.bindingHash, WEB, new Date(Date.now() + 1000))).toBeUndefined();
    const takes = await Promise.all([1, 2, 3].map(() => takeEscalatedAttempt(silent.bindingHash, WEB, since)));
    expect(takes.filter((take) => take !== undefined)).toEqual([
      { attemptId: "attempt-escalated", traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", createdAt: expect.any(Date) },
    ]);
    expect(await findLoginState(silent.id)).toBeNull();
  });
});

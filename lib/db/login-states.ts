/**
 * Server-minted OAuth `state` values. Each is single use, expires, and is bound to the browser
 * that asked for it through the hash of an HttpOnly cookie. Only hashes are stored.
 */
import "server-only";
import { randomAlphanumeric, randomToken, sha256 } from "@/lib/crypto";
import { db } from "./client";
import type { WechatLoginState } from "./generated/client";
import { insertWithinLimits, type Limit } from "./limits";

export type LoginMode = "embedded" | "redirect" | "oa_base" | "oa_userinfo";

/** How a claim went: `claimed` means this call, and only this call, may spend the code. */
export type StateClaim =
  | { kind: "claimed"; row: WechatLoginState }
  | { kind: "already_used"; row: WechatLoginState }
  | { kind: "unknown" }
  | { kind: "expired"; row: WechatLoginState }
  | { kind: "wrong_browser"; row: WechatLoginState };

export type NewLoginState = {
  appId: string;
  mode: LoginMode;
  returnTo: string;
  bindingHash: string;
  ttlSeconds: number;
  /** The attempt's id and trace (lib/login/attempt.ts), and the browser that asked. */
  attemptId?: string | undefined;
  createdAt?: Date | undefined;
  traceParent?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
};

/** WeChat's errcode and rid of a failed attempt. */
export type AttemptFailure = { errcode: number | null; rid: string | null };

/**
 * Takes one use of each of `limits` and mints a state, in one transaction: a refused limit
 * writes nothing.
 */
export async function createLoginState(
  input: NewLoginState,
  limits: Limit[] = [],
): Promise<{ ok: true; state: string; expiresAt: Date } | { ok: false; bucket: string; retryAfterSeconds: number }> {
  // 32 alphanumerics ≈ 190 bits; the alphabet also satisfies the Official Account's [A-Za-z0-9] rule.
  const state = randomAlphanumeric(32);
  const createdAt = input.createdAt ?? new Date();
  const expiresAt = new Date(createdAt.getTime() + input.ttlSeconds * 1000);
  const userAgent = input.userAgent?.slice(0, 512) ?? null;
  const taken = await insertWithinLimits(
    limits,
    (client, hitId) => client.$executeRaw`
      INSERT INTO "WechatLoginState"
        ("id", "attemptId", "bindingHash", "appId", "mode", "returnTo", "createdAt", "expiresAt", "ip", "userAgent", "traceParent")
      SELECT ${sha256(state)}, ${input.attemptId ?? randomToken(12)}, ${input.bindingHash}, ${input.appId}, ${input.mode}, ${input.returnTo},
        ${createdAt}, ${expiresAt}, ${input.ip ?? null}::text, ${userAgent}::text, ${input.traceParent ?? null}::text
      WHERE ${hitId} = '' OR EXISTS (SELECT 1 FROM "LimitHit" WHERE "id" = ${hitId})`,
  );
  return taken.ok ? { ok: true, state, expiresAt } : taken;
}

/**
 * Checks a returned state and, if it is fresh and this browser's, marks it used in the same
 * statement, so two concurrent callbacks cannot both spend it. A successful claim is one
 * conditional UPDATE … RETURNING; only a refused one reads the row to say why. The browser
 * check comes first: a state replayed from another browser learns nothing and changes nothing.
 */
export async function claimLoginState(state: string, bindingHash: string | undefined, codeHash: string | null): Promise<StateClaim> {
  const prisma = await db();
  const id = sha256(state);
  if (bindingHash) {
    const now = new Date();
    // Raw SQL: this runs on every callback, and a plain statement costs a third of a model query.
    const [claimed] = await prisma.$queryRaw<WechatLoginState[]>`
      UPDATE "WechatLoginState" SET "consumedAt" = ${now}, "codeHash" = ${codeHash}
      WHERE "id" = ${id} AND "bindingHash" = ${bindingHash} AND "consumedAt" IS NULL AND "expiresAt" > ${now}
      RETURNING *`;
    if (claimed) return { kind: "claimed", row: claimed };
  }
  const row = await prisma.wechatLoginState.findUnique({ where: { id } });
  if (!row) return { kind: "unknown" };
  if (!bindingHash || bindingHash !== row.bindingHash) return { kind: "wrong_browser", row };
  if (row.consumedAt) return { kind: "already_used", row };
  return { kind: "expired", row };
}

/** Closes an attempt that did not sign anyone in, with WeChat's errcode and rid when WeChat refused. */
export async function recordLoginOutcome(id: string, outcome: string, failure: AttemptFailure = { errcode: null, rid: null }): Promise<void> {
  const prisma = await db();
  await prisma.wechatLoginState.update({ where: { id }, data: { outcome, errcode: failure.errcode, rid: failure.rid, finishedAt: new Date() } });
}

/** The silent scope met someone new: the state is spent, and its attempt goes on in a consent state. */
export async function markLoginEscalated(id: string): Promise<void> {
  const prisma = await db();
  await prisma.wechatLoginState.update({ where: { id }, data: { outcome: "escalated" } });
}

/** What a consent state carries on from the silent one: the same attempt, its trace and its start. */
export type CarriedAttempt = { attemptId: string; traceParent: string | null; createdAt: Date };

/**
 * Takes over this browser's state that escalated to the consent scope since `since`: the silent
 * state goes (it is spent) and its attempt id, trace and start carry on, so a new person's sign-in
 * inside WeChat stays one attempt. One DELETE … RETURNING: two consent starts racing get it once.
 */
export async function takeEscalatedAttempt(bindingHash: string, appId: string, since: Date): Promise<CarriedAttempt | undefined> {
  const prisma = await db();
  const [carried] = await prisma.$queryRaw<CarriedAttempt[]>`
    DELETE FROM "WechatLoginState" WHERE "id" = (
      SELECT "id" FROM "WechatLoginState"
      WHERE "bindingHash" = ${bindingHash} AND "appId" = ${appId} AND "outcome" = 'escalated' AND "consumedAt" > ${since}
      ORDER BY "consumedAt" DESC LIMIT 1
    )
    RETURNING "attemptId", "traceParent", "createdAt"`;
  return carried;
}

export async function findLoginState(id: string): Promise<WechatLoginState | null> {
  const prisma = await db();
  return prisma.wechatLoginState.findUnique({ where: { id } });
}

/** Marks a user's finished logins as closed, so their callbacks can no longer open sessions. */
export async function closeLoginStatesOfUser(userId: string): Promise<void> {
  const prisma = await db();
  await prisma.wechatLoginState.updateMany({ where: { userId, outcome: "success" }, data: { outcome: "signed_out" } });
}

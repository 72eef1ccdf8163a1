/**
 * The database half of "complete sign-in": one transaction that resolves the person, opens the
 * Auth.js session with its history line, and closes the attempt that led here (the OAuth state
 * or the follow-to-login ticket) with its outcome. All or nothing: a sign-in never leaves a
 * session without its attempt closed, or an attempt marked successful without a session.
 */
import "server-only";
import { randomToken, sealSecret } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { db, transactionWithRetry } from "./client";
import type { Prisma } from "./generated/client";
import { getContactFacts, upsertIdentity, type ContactFacts, type ResolvedPerson, type WechatSignIn } from "./people";
import { createSessionForUser, type OpenedSession, type SessionMeta } from "./sessions";

type Tx = Prisma.TransactionClient;

export const OUTCOME_SUCCESS = "success";

/** The browser-bound attempt a sign-in finishes; its conditional close decides whether it may. */
export type SignInAttempt =
  /** A claimed OAuth state: gets the outcome and the user. */
  | { kind: "login_state"; id: string }
  /** A confirmed follow-to-login ticket: confirmed → redeemed, once, by its own browser, in time. */
  | { kind: "ticket"; id: string; bindingHash: string; confirmedAfter: Date };

/** Who signs in: a WeChat identity to resolve, or a person resolved earlier (a confirmed ticket). */
export type SignInSubject = WechatSignIn | { userId: string };

export type SignInOptions = {
  attempt?: SignInAttempt | undefined;
  /** Also read what the landing rule needs (bound contacts, sign-in count), in the same transaction. */
  withFacts?: boolean;
  /** Also read the user's display name. */
  withName?: boolean;
};

export type SignInResult = ResolvedPerson & OpenedSession & { name?: string | null; facts?: ContactFacts | undefined };

async function closeAttempt(tx: Tx, attempt: SignInAttempt, userId: string): Promise<void> {
  if (attempt.kind === "login_state") {
    await tx.wechatLoginState.update({ where: { id: attempt.id }, data: { outcome: OUTCOME_SUCCESS, userId, finishedAt: new Date() } });
    return;
  }
  const { count } = await tx.loginTicket.updateMany({
    where: { id: attempt.id, bindingHash: attempt.bindingHash, status: "confirmed", confirmedAt: { gt: attempt.confirmedAfter } },
    data: { status: "redeemed", redeemedAt: new Date(), finishedAt: new Date() },
  });
  // Closed by someone else first (a second redeem, the redeem window): nothing is written.
  if (count !== 1) throw new AppError("already_redeemed");
}

/**
 * Signs a person in, all or nothing. Two first sign-ins of one person racing each other meet a
 * unique constraint; the loser retries once and joins the winner's user.
 */
export async function signInWithWechat(subject: SignInSubject, session: SessionMeta, options: SignInOptions = {}): Promise<SignInResult> {
  if (!("userId" in subject) && options.attempt?.kind !== "ticket") {
    const returning = await signInReturning(subject, session, options);
    if (returning) return returning;
  }
  const work = async (tx: Tx): Promise<SignInResult> => {
    const person = "userId" in subject ? { userId: subject.userId, createdUser: false } : await upsertIdentity(tx, subject);
    if (options.attempt) await closeAttempt(tx, options.attempt, person.userId);
    const opened = await createSessionForUser(person.userId, session, tx);
    const result: SignInResult = { ...person, ...opened };
    if (options.withFacts) result.facts = await getContactFacts(person.userId, tx);
    if (options.withName) result.name = (await tx.user.findUnique({ where: { id: person.userId }, select: { name: true } }))?.name ?? null;
    return result;
  };
  return transactionWithRetry(work);
}

/**
 * The common case, a returning person whose profile and unionid did not change, in two plain
 * statements: a read, then one statement that refreshes the identity, closes the attempt and
 * opens the session with its history line (a single statement is atomic on its own). Undefined
 * when the person is new or anything about them changed: the transaction above handles those.
 */
async function signInReturning(person: WechatSignIn, session: SessionMeta, options: SignInOptions): Promise<SignInResult | undefined> {
  const prisma = await db();
  const [known] = await prisma.$queryRaw<{ id: string; unionid: string | null; name: string | null; image: string | null }[]>`
    SELECT i."id", i."unionid", u."name", u."image" FROM "WechatIdentity" i JOIN "User" u ON u."id" = i."userId"
    WHERE i."appId" = ${person.appId} AND i."openid" = ${person.openid}`;
  if (!known) return undefined;
  if (person.unionid && !known.unionid) return undefined;
  if ((person.nickname && person.nickname !== known.name) || (person.avatarUrl && person.avatarUrl !== known.image)) return undefined;
  const now = new Date();
  const tokens = person.tokens;
  const sessionToken = randomToken(32);
  const expires = new Date(now.getTime() + session.maxAgeSeconds * 1000);
  const userAgent = session.userAgent?.slice(0, 512) ?? null;
  const stateId = options.attempt?.kind === "login_state" ? options.attempt.id : null;
  const [signedIn] = await prisma.$queryRaw<{ userId: string }[]>`
    WITH ident AS (
      UPDATE "WechatIdentity" SET
        "nickname" = COALESCE(${person.nickname || null}::text, "nickname"),
        "avatarUrl" = COALESCE(${person.avatarUrl || null}::text, "avatarUrl"),
        "accessTokenEnc" = COALESCE(${tokens ? sealSecret(tokens.accessToken) : null}::text, "accessTokenEnc"),
        "refreshTokenEnc" = COALESCE(${tokens ? sealSecret(tokens.refreshToken) : null}::text, "refreshTokenEnc"),
        "tokenExpiresAt" = COALESCE(${tokens ? new Date(now.getTime() + tokens.expiresIn * 1000) : null}::timestamp(3), "tokenExpiresAt"),
        "scope" = COALESCE(${tokens?.scope ?? null}::text, "scope"),
        "lastSeenAt" = ${now}
      WHERE "id" = ${known.id}
      RETURNING "userId"
    ),
    previous AS (DELETE FROM "Session" WHERE "sessionToken" = ${session.previousSessionToken ?? null}::text),
    attempt AS (
      UPDATE "WechatLoginState" SET "outcome" = ${OUTCOME_SUCCESS}, "userId" = (SELECT "userId" FROM ident), "finishedAt" = ${now}
      WHERE "id" = ${stateId}::text
    ),
    opened AS (
      INSERT INTO "Session" ("id", "sessionToken", "userId", "expires", "userAgent", "ip", "method")
      SELECT ${randomToken(16)}, ${sessionToken}, "userId", ${expires}, ${userAgent}::text, ${session.ip}::text, ${session.method} FROM ident
    ),
    history AS (
      INSERT INTO "SignInEvent" ("id", "userId", "method", "ip", "userAgent")
      SELECT ${randomToken(16)}, "userId", ${session.method}, ${session.ip}::text, ${userAgent}::text FROM ident
    )
    SELECT "userId" FROM ident`;
  if (!signedIn) return undefined;
  const result: SignInResult = { userId: signedIn.userId, createdUser: false, sessionToken, expires };
  if (options.withFacts) result.facts = await getContactFacts(signedIn.userId);
  if (options.withName) result.name = known.name;
  return result;
}

/**
 * The database half of "complete sign-in": one transaction that resolves the person, opens the
 * Auth.js session with its history line, and closes the attempt that led here (the OAuth state
 * or the follow-to-login ticket) with its outcome. All or nothing: a sign-in never leaves a
 * session without its attempt closed, or an attempt marked successful without a session.
 */
import "server-only";
import { transactionWithRetry } from "./client";
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

/** The attempt was closed by someone else first (a second redeem, an expiry): nothing was written. */
export class AttemptClosedError extends Error {
  override name = "AttemptClosedError";
}

async function closeAttempt(tx: Tx, attempt: SignInAttempt, userId: string): Promise<void> {
  if (attempt.kind === "login_state") {
    await tx.wechatLoginState.update({ where: { id: attempt.id }, data: { outcome: OUTCOME_SUCCESS, userId } });
    return;
  }
  const { count } = await tx.loginTicket.updateMany({
    where: { id: attempt.id, bindingHash: attempt.bindingHash, status: "confirmed", confirmedAt: { gt: attempt.confirmedAfter } },
    data: { status: "redeemed", redeemedAt: new Date() },
  });
  if (count !== 1) throw new AttemptClosedError();
}

/**
 * Signs a person in, all or nothing. Two first sign-ins of one person racing each other meet a
 * unique constraint; the loser retries once and joins the winner's user.
 */
export async function signInWithWechat(subject: SignInSubject, session: SessionMeta, options: SignInOptions = {}): Promise<SignInResult> {
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

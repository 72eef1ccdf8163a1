/**
 * One-time codes and links that prove a phone number or email address (lib/contact-proof), and
 * the binding they lead to. A proof moves a contact, never merges accounts.
 */
import "server-only";
import { db } from "./client";
import { CONTACT_MOVED_AWAY } from "./account-events";
import { Prisma, type VerificationCode } from "./generated/client";
import { clearLimit, takeLimits, type Limit } from "./limits";

export type ContactField = "phone" | "email";

/** The user who holds `target` as their phone or email, if any. */
export async function findContactOwner(field: ContactField, target: string): Promise<string | undefined> {
  const prisma = await db();
  const owner = await prisma.user.findFirst({ where: { [field]: target }, select: { id: true } });
  return owner?.id;
}

export type NewCode = Pick<
  Prisma.VerificationCodeUncheckedCreateInput,
  "userId" | "channel" | "target" | "codeHash" | "linkTokenHash" | "sessionHash" | "ip" | "expiresAt"
>;

/**
 * Takes every limit and stores a new code as the only live one of this user for this target, in
 * one transaction: a refused limit writes nothing.
 */
export async function createVerificationCode(
  limits: Limit[],
  data: NewCode,
): Promise<{ ok: true; id: string; limitIds: string[] } | { ok: false; bucket: string; retryAfterSeconds: number }> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const taken = await takeLimits(limits, tx);
    if (!taken.ok) return taken;
    await tx.verificationCode.updateMany({
      where: { userId: data.userId, target: data.target, verifiedAt: null, consumedAt: null },
      data: { consumedAt: new Date() },
    });
    const row = await tx.verificationCode.create({ data: { ...data, purpose: "bind" }, select: { id: true } });
    return { ok: true as const, id: row.id, limitIds: taken.ids };
  });
}

/** A code that was never sent: it never existed. */
export async function deleteVerificationCode(id: string): Promise<void> {
  const prisma = await db();
  await prisma.verificationCode.delete({ where: { id } });
}

/** The newest live code this user asked for `target` in the browser of `sessionHash`. */
export async function findLatestCode(input: { userId: string; sessionHash: string; channel: string; target: string }): Promise<VerificationCode | null> {
  const prisma = await db();
  return prisma.verificationCode.findFirst({ where: { ...input, consumedAt: null }, orderBy: { createdAt: "desc" } });
}

export async function findCodeByLinkHash(linkTokenHash: string): Promise<VerificationCode | null> {
  const prisma = await db();
  return prisma.verificationCode.findUnique({ where: { linkTokenHash } });
}

/** Counts a wrong try, in the database so parallel guesses cannot exceed `maxAttempts`; false when none was left. */
export async function countWrongAttempt(id: string, maxAttempts: number): Promise<boolean> {
  const prisma = await db();
  const { count } = await prisma.verificationCode.updateMany({ where: { id, attempts: { lt: maxAttempts } }, data: { attempts: { increment: 1 } } });
  return count === 1;
}

export type BindOutcome = { ok: true; movedFrom: string | undefined } | { ok: false; error: "already_used" | "taken_meanwhile" };

/**
 * Spends the proof and gives the contact to its prover, in one transaction. A contact held by
 * another account is taken off that account (nothing else of it changes) with an audit entry it
 * sees in its history. Binds of one target run one after the other (an advisory lock), so the
 * move sees the current owner.
 */
export type BindContactInput = {
  /** The proof: our own code (spent here, once), or WeChat's word for the mini program's one-tap phone. */
  proof: { kind: "code"; code: VerificationCode; maxAttempts: number; resendBucket: string } | { kind: "wechat"; target: string };
  userId: string;
  field: ContactField;
  /** The contact as the moved-away account's history shows it (masked). */
  shownTarget: string;
  ip: string | null;
};

export async function bindProvedContact(input: BindContactInput): Promise<BindOutcome> {
  const prisma = await db();
  try {
    return await prisma.$transaction((tx) => bindContactInTransaction(tx, input));
  } catch (error) {
    // Someone else bound the same target between our read and our write: nothing was written.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return { ok: false, error: "taken_meanwhile" };
    throw error;
  }
}

/**
 * {@link bindProvedContact}'s work inside a transaction of this module's callers in lib/db (the
 * mini program's confirm binds its phone in the transaction that confirms the ticket).
 */
export async function bindContactInTransaction(tx: Prisma.TransactionClient, input: BindContactInput): Promise<BindOutcome> {
  const { proof, field } = input;
  const target = proof.kind === "code" ? proof.code.target : proof.target;
  const verifiedField = field === "phone" ? "phoneVerified" : "emailVerified";
  const now = new Date();
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`bind:${target}`}))`;
  if (proof.kind === "code") {
    const { count } = await tx.verificationCode.updateMany({
      where: { id: proof.code.id, userId: input.userId, verifiedAt: null, consumedAt: null, attempts: { lt: proof.maxAttempts }, expiresAt: { gt: now } },
      data: { verifiedAt: now, consumedAt: now },
    });
    if (count !== 1) return { ok: false, error: "already_used" };
  }
  const owner = await tx.user.findFirst({ where: { [field]: target }, select: { id: true } });
  const movedFrom = owner && owner.id !== input.userId ? owner.id : undefined;
  if (movedFrom) {
    await tx.user.update({ where: { id: movedFrom }, data: { [field]: null, [verifiedField]: null } });
    await tx.auditLog.create({ data: { userId: movedFrom, action: CONTACT_MOVED_AWAY, ip: null, detail: { channel: field, target: input.shownTarget } } });
  }
  await tx.user.update({ where: { id: input.userId }, data: { [field]: target, [verifiedField]: now } });
  // The resend wait keeps a number from getting codes while one is still in flight; this one
  // has just been used by whoever holds the number, so the next code may go at once.
  if (proof.kind === "code") await clearLimit(proof.resendBucket, target, tx);
  await tx.auditLog.create({
    data: {
      userId: input.userId,
      action: `bind.${field}`,
      ip: input.ip,
      detail: { channel: field, movedFromAnotherAccount: Boolean(movedFrom), proof: proof.kind === "code" ? "code" : "wechat" },
    },
  });
  return { ok: true, movedFrom };
}

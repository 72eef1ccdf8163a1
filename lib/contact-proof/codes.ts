/**
 * Proving ownership of a phone number or email address with a one-time code, then binding it.
 *
 * A proof proves the address for one person: the signed-in browser that asked for the code. The
 * code row keeps sha256 of that browser's Auth.js session token, and a code or link counts only
 * when the current session's token hashes to it. A link that reaches anyone else (the owner of a
 * mailbox somebody else typed, a mail scanner, a link preview) proves nothing.
 *
 * Codes are 6 digits, live 5 minutes, are stored as an HMAC (a database dump does not reveal
 * them) and die after 5 wrong tries. Sends are limited in the database (lib/db/limits.ts), so the
 * limits hold across instances and parallel requests: one send per target per 60 s whoever asks,
 * a daily cap per target, per account and per trusted IP, and a daily SMS budget for the site.
 * A verification succeeds once: parallel submissions race on a conditional update.
 *
 * When the proved target belongs to another account, it moves: the old account loses only that
 * phone or email, keeps every WeChat identity, session and datum, gets a `contact.moved_away`
 * line in its history, and the address is told. A proof never merges accounts.
 */
import "server-only";
import { createHmac, randomInt } from "node:crypto";
import { randomToken, safeEqual, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { Prisma, type VerificationCode } from "@/lib/db/generated/client";
import { clearLimit, releaseLimits, takeLimits, type Limit } from "@/lib/db/limits";
import { CONTACT_MOVED_AWAY } from "@/lib/db/account-events";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { type BindChannel, maskTarget, normalizeTarget } from "./targets";

export const CODE_TTL_SECONDS = 5 * 60;
export const MAX_ATTEMPTS = 5;
export const RESEND_WAIT_SECONDS = 60;
export const TARGET_DAILY_CAP = 10;
export const ACCOUNT_DAILY_CAP = 10;
export const IP_DAILY_CAP = 30;
const DAY_SECONDS = 86_400;
const RESEND_BUCKET = "bind.resend";

export type Deliver = (message: { channel: BindChannel; target: string; code: string; link: string | undefined; ttlMinutes: number }) => Promise<void>;
/** Tells a phone or address that another account proved it and took it over. Must not throw. */
export type NotifyMoved = (message: { channel: BindChannel; target: string; at: Date }) => Promise<void>;

/** Refusals by a send limit: each carries when to retry (HTTP 429 + Retry-After). */
export type LimitError = "resend_wait" | "target_daily_limit" | "account_daily_limit" | "ip_daily_limit" | "sms_budget";

export type SendResult =
  | { ok: true; resendIn: number; expiresIn: number }
  | { ok: false; error: "invalid_phone" | "invalid_email" | "too_long" | "channel_disabled" | "already_yours" | "send_failed" | "no_session" }
  | { ok: false; error: "country_unsupported"; country: string }
  | { ok: false; error: LimitError; retryIn: number };

const LIMIT_ERRORS: Record<string, LimitError> = {
  [RESEND_BUCKET]: "resend_wait",
  "bind.target": "target_daily_limit",
  "bind.account": "account_daily_limit",
  "bind.ip": "ip_daily_limit",
  "bind.sms_budget": "sms_budget",
};

function hashCode(target: string, code: string): string {
  return createHmac("sha256", getEnv().authSecret).update(`bind:${target}:${code}`).digest("hex");
}

/** What a code row keeps of the browser that asked: sha256 of its Auth.js session token. */
export function sessionProofHash(sessionToken: string | undefined): string | undefined {
  return sessionToken ? sha256(sessionToken) : undefined;
}

function userField(channel: BindChannel): "phone" | "email" {
  return channel;
}

/** Sends a fresh code to `rawTarget` for `userId` in the browser of `sessionHash`, if every limit allows it. */
export async function sendBindCode(input: {
  userId: string;
  sessionHash: string | undefined;
  channel: BindChannel;
  rawTarget: string;
  ip: string | null;
  origin: string;
  deliver: Deliver;
}): Promise<SendResult> {
  const env = getEnv();
  if (!env.bind.channels.includes(input.channel) || env.bind.mode === "off") return { ok: false, error: "channel_disabled" };
  if (!input.sessionHash) return { ok: false, error: "no_session" };
  const normalized = normalizeTarget(input.channel, input.rawTarget, env.limits.smsCountryCodes);
  if (!normalized.ok) return normalized;
  const target = normalized.target;
  const prisma = await db();
  const owner = await prisma.user.findFirst({ where: { [userField(input.channel)]: target }, select: { id: true } });
  if (owner?.id === input.userId) return { ok: false, error: "already_yours" };

  const limits: Limit[] = [
    // Per target across every account: two accounts cannot fire one number's codes in a second.
    { bucket: RESEND_BUCKET, key: target, max: 1, ttlSeconds: RESEND_WAIT_SECONDS },
    { bucket: "bind.target", key: target, max: TARGET_DAILY_CAP, ttlSeconds: DAY_SECONDS },
    { bucket: "bind.account", key: input.userId, max: ACCOUNT_DAILY_CAP, ttlSeconds: DAY_SECONDS },
    // Requests whose address is unknown share one bucket rather than escaping the cap.
    { bucket: "bind.ip", key: input.ip ?? "unknown", max: IP_DAILY_CAP, ttlSeconds: DAY_SECONDS },
    ...(input.channel === "phone" ? [{ bucket: "bind.sms_budget", key: "global", max: env.limits.smsDailyBudget, ttlSeconds: DAY_SECONDS }] : []),
  ];
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const linkToken = input.channel === "email" && env.bind.emailLink ? randomToken(32) : undefined;
  const created = await prisma.$transaction(async (tx) => {
    const taken = await takeLimits(limits, tx);
    if (!taken.ok) return taken;
    // Only the newest code of a user for a target is alive.
    await tx.verificationCode.updateMany({ where: { userId: input.userId, target, verifiedAt: null, consumedAt: null }, data: { consumedAt: new Date() } });
    const row = await tx.verificationCode.create({
      data: {
        userId: input.userId,
        channel: input.channel,
        target,
        purpose: "bind",
        codeHash: hashCode(target, code),
        linkTokenHash: linkToken ? sha256(linkToken) : null,
        sessionHash: input.sessionHash,
        ip: input.ip,
        expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
      },
      select: { id: true },
    });
    return { ok: true as const, row, limitIds: taken.ids };
  });
  if (!created.ok) {
    const error = LIMIT_ERRORS[created.bucket] ?? "target_daily_limit";
    logger.warn("bind.send.limited", { channel: input.channel, reason: error });
    return { ok: false, error, retryIn: created.retryAfterSeconds };
  }
  try {
    const link = linkToken ? `${input.origin}/bind/verify?token=${linkToken}` : undefined;
    await input.deliver({ channel: input.channel, target, code, link, ttlMinutes: CODE_TTL_SECONDS / 60 });
  } catch (error) {
    // Not sent: the code never existed, and the attempt counts against no limit.
    await prisma.verificationCode.delete({ where: { id: created.row.id } });
    await releaseLimits(created.limitIds);
    logger.warn("bind.send.failed", { channel: input.channel, error: error instanceof Error ? error.message : String(error) });
    return { ok: false, error: "send_failed" };
  }
  logger.info("bind.send.ok", { channel: input.channel, userId: input.userId });
  return { ok: true, resendIn: RESEND_WAIT_SECONDS, expiresIn: CODE_TTL_SECONDS };
}

export type VerifyResult =
  | { ok: true; outcome: "bound" | "moved"; userId: string }
  | { ok: false; error: "invalid_input" | "no_code" | "expired" | "locked" | "already_used" | "taken_meanwhile" | "other_browser" }
  | { ok: false; error: "wrong_code"; triesLeft: number };

type Prover = { userId: string; sessionHash: string | undefined; ip: string | null; notify: NotifyMoved };

/** Checks a typed code against the newest code this browser asked for `rawTarget`, then binds. */
export async function verifyBindCode(input: Prover & { channel: BindChannel; rawTarget: string; code: string }): Promise<VerifyResult> {
  const normalized = normalizeTarget(input.channel, input.rawTarget, getEnv().limits.smsCountryCodes);
  if (!normalized.ok || !/^\d{6}$/.test(input.code)) return { ok: false, error: "invalid_input" };
  if (!input.sessionHash) return { ok: false, error: "no_code" };
  const prisma = await db();
  // A code asked for in another browser (another session of the same user included) is not found here.
  const row = await prisma.verificationCode.findFirst({
    where: { userId: input.userId, sessionHash: input.sessionHash, target: normalized.target, channel: input.channel, consumedAt: null },
    orderBy: { createdAt: "desc" },
  });
  if (!row) return { ok: false, error: "no_code" };
  if (row.verifiedAt) return { ok: false, error: "already_used" };
  if (row.attempts >= MAX_ATTEMPTS) return { ok: false, error: "locked" };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, error: "expired" };
  if (!safeEqual(hashCode(row.target, input.code), row.codeHash)) {
    // Counted in the database, so parallel guesses cannot exceed the limit.
    const { count } = await prisma.verificationCode.updateMany({ where: { id: row.id, attempts: { lt: MAX_ATTEMPTS } }, data: { attempts: { increment: 1 } } });
    if (count === 0) return { ok: false, error: "locked" };
    const triesLeft = MAX_ATTEMPTS - (row.attempts + 1);
    return triesLeft > 0 ? { ok: false, error: "wrong_code", triesLeft } : { ok: false, error: "locked" };
  }
  return bindProved(row, input);
}

export type LinkView = "confirm" | "other_browser" | "invalid";

async function findLiveLink(token: string): Promise<VerificationCode | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const prisma = await db();
  const row = await prisma.verificationCode.findUnique({ where: { linkTokenHash: sha256(token) } });
  if (!row || row.consumedAt || row.verifiedAt || row.attempts >= MAX_ATTEMPTS || row.expiresAt.getTime() <= Date.now()) return undefined;
  return row;
}

function isRequester(row: VerificationCode, viewer: { userId: string; sessionHash: string | undefined } | undefined): boolean {
  return Boolean(viewer?.sessionHash && row.sessionHash && row.userId === viewer.userId && safeEqual(row.sessionHash, viewer.sessionHash));
}

/** What the link's page (a GET, which never binds) may offer to this browser. */
export async function inspectBindLink(token: string, viewer: { userId: string; sessionHash: string | undefined } | undefined): Promise<LinkView> {
  const row = await findLiveLink(token);
  if (!row) return "invalid";
  return isRequester(row, viewer) ? "confirm" : "other_browser";
}

/** The button on the link's page (a POST): binds, but only in the browser that asked for the link. */
export async function confirmBindLink(token: string, prover: Prover): Promise<VerifyResult> {
  const row = await findLiveLink(token);
  if (!row) return { ok: false, error: "no_code" };
  if (!isRequester(row, prover)) return { ok: false, error: "other_browser" };
  return bindProved(row, prover);
}

/**
 * Spends the proof and gives the target to its prover, in one transaction. A target held by
 * another account is taken off that account (nothing else of it changes) with an audit entry
 * it sees in its history; the address is told once the move is committed.
 */
async function bindProved(row: VerificationCode, prover: Prover): Promise<VerifyResult> {
  const prisma = await db();
  const channel = row.channel as BindChannel;
  const field = userField(channel);
  const verifiedField = field === "phone" ? "phoneVerified" : "emailVerified";
  const now = new Date();
  let result: VerifyResult & { movedFrom?: string };
  try {
    result = await prisma.$transaction(async (tx) => {
      // Binds of one target run one after the other, so the move below sees the current owner.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`bind:${row.target}`}))`;
      const { count } = await tx.verificationCode.updateMany({
        where: { id: row.id, userId: prover.userId, verifiedAt: null, consumedAt: null, attempts: { lt: MAX_ATTEMPTS }, expiresAt: { gt: now } },
        data: { verifiedAt: now, consumedAt: now },
      });
      if (count !== 1) return { ok: false, error: "already_used" } as const;
      const owner = await tx.user.findFirst({ where: { [field]: row.target }, select: { id: true } });
      const movedFrom = owner && owner.id !== prover.userId ? owner.id : undefined;
      if (movedFrom) {
        await tx.user.update({ where: { id: movedFrom }, data: { [field]: null, [verifiedField]: null } });
        await tx.auditLog.create({ data: { userId: movedFrom, action: CONTACT_MOVED_AWAY, ip: null, detail: { channel, target: maskTarget(channel, row.target) } } });
      }
      await tx.user.update({ where: { id: prover.userId }, data: { [field]: row.target, [verifiedField]: now } });
      // The resend wait keeps a number from getting codes while one is still in flight; this one
      // has just been used by whoever holds the number, so the next code may go at once.
      await clearLimit(RESEND_BUCKET, row.target, tx);
      await tx.auditLog.create({ data: { userId: prover.userId, action: `bind.${field}`, ip: prover.ip, detail: { channel, movedFromAnotherAccount: Boolean(movedFrom) } } });
      return { ok: true, outcome: movedFrom ? "moved" : "bound", userId: prover.userId, movedFrom } as const;
    });
  } catch (error) {
    // Someone else bound the same target between our read and our write: nothing was written.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return { ok: false, error: "taken_meanwhile" };
    throw error;
  }
  if (result.ok !== true) return result;
  if (result.movedFrom) {
    logger.info("bind.contact_moved", { channel, fromUserId: result.movedFrom, toUserId: prover.userId });
    await prover.notify({ channel, target: row.target, at: now });
  }
  return { ok: true, outcome: result.outcome, userId: result.userId };
}

/**
 * Whether the user must (required mode) or should now (optional mode, first sign-in only) go to
 * /bind: they have none of the configured channels bound.
 */
export async function needsBinding(userId: string, options: { justSignedIn?: boolean } = {}): Promise<boolean> {
  const { mode, channels } = getEnv().bind;
  if (mode === "off" || (mode === "optional" && !options.justSignedIn)) return false;
  const prisma = await db();
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { phone: true, email: true, _count: { select: { signIns: true } } } });
  if (!user || channels.some((channel) => (channel === "phone" ? user.phone : user.email))) return false;
  // Optional binding is offered once, at the first sign-in; required binding every time.
  return mode === "required" || user._count.signIns <= 1;
}

/** Where a sign-in should land: `returnTo`, or /bind first when binding is due. */
export async function landingAfterSignIn(userId: string, returnTo: string): Promise<string> {
  return (await needsBinding(userId, { justSignedIn: true })) ? `/bind?${new URLSearchParams({ returnTo })}` : returnTo;
}

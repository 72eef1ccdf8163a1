/**
 * Proving ownership of a phone number or email address with a one-time code, then binding it.
 *
 * Codes are 6 digits, live 5 minutes, are stored as an HMAC (a database dump does not reveal
 * them), die after 5 wrong tries, and a new one waits 60 s. Each target and each IP address has
 * a daily cap against SMS pumping. Sends for one target are serialized with an advisory lock, so
 * two requests at once cannot both slip under a limit. A verification succeeds once: parallel
 * submissions of one code race on a conditional update and exactly one wins.
 *
 * If the proved target already belongs to another account, the signed-in WeChat user joins that
 * account (see lib/db/merge-users.ts) in one transaction. Where both accounts hold an identity of
 * the same WeChat app, nothing merges until the user has said which to keep.
 */
import "server-only";
import { createHmac, randomInt } from "node:crypto";
import { randomToken, safeEqual, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { Prisma, type VerificationCode } from "@/lib/db/generated/client";
import { mergeUsers } from "@/lib/db/merge-users";
import { maskOpenid } from "@/lib/db/accounts";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { type BindChannel, normalizeTarget } from "./targets";

export const CODE_TTL_SECONDS = 5 * 60;
export const MAX_ATTEMPTS = 5;
export const RESEND_WAIT_SECONDS = 60;
export const TARGET_DAILY_CAP = 10;
export const IP_DAILY_CAP = 30;
/** How long a proved target may wait for the user's choice before the merge must be proved again. */
const CHOICE_WINDOW_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export type Deliver = (message: { channel: BindChannel; target: string; code: string; link: string | undefined; ttlMinutes: number }) => Promise<void>;

export type SendResult =
  | { ok: true; resendIn: number; expiresIn: number }
  | { ok: false; error: "invalid_phone" | "invalid_email" | "too_long" | "channel_disabled" | "already_yours" | "target_daily_limit" | "ip_daily_limit" | "send_failed" }
  | { ok: false; error: "resend_wait"; retryIn: number };

function hashCode(target: string, code: string): string {
  return createHmac("sha256", getEnv().authSecret).update(`bind:${target}:${code}`).digest("hex");
}

function userField(channel: BindChannel): "phone" | "email" {
  return channel;
}

/** Sends a fresh code to `rawTarget` for `userId`, if every limit allows it. */
export async function sendBindCode(input: {
  userId: string;
  channel: BindChannel;
  rawTarget: string;
  ip: string | null;
  origin: string;
  deliver: Deliver;
}): Promise<SendResult> {
  const env = getEnv();
  if (!env.bind.channels.includes(input.channel) || env.bind.mode === "off") return { ok: false, error: "channel_disabled" };
  const normalized = normalizeTarget(input.channel, input.rawTarget);
  if (!normalized.ok) return { ok: false, error: normalized.error };
  const target = normalized.target;
  const prisma = await db();
  const owner = await prisma.user.findFirst({ where: { [userField(input.channel)]: target }, select: { id: true } });
  if (owner?.id === input.userId) return { ok: false, error: "already_yours" };

  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const linkToken = input.channel === "email" && env.bind.emailLink ? randomToken(32) : undefined;
  const created = await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`bind:${target}`}))`;
    const since = new Date(Date.now() - DAY_MS);
    const last = await tx.verificationCode.findFirst({ where: { target }, orderBy: { createdAt: "desc" }, select: { createdAt: true, userId: true } });
    if (last && last.userId === input.userId) {
      const waited = (Date.now() - last.createdAt.getTime()) / 1000;
      if (waited < RESEND_WAIT_SECONDS) return { error: "resend_wait" as const, retryIn: Math.ceil(RESEND_WAIT_SECONDS - waited) };
    }
    if ((await tx.verificationCode.count({ where: { target, createdAt: { gte: since } } })) >= TARGET_DAILY_CAP) return { error: "target_daily_limit" as const };
    if (input.ip && (await tx.verificationCode.count({ where: { ip: input.ip, createdAt: { gte: since } } })) >= IP_DAILY_CAP) return { error: "ip_daily_limit" as const };
    // Only the newest code of a user for a target is alive.
    await tx.verificationCode.updateMany({ where: { userId: input.userId, target, verifiedAt: null, consumedAt: null }, data: { consumedAt: new Date() } });
    return tx.verificationCode.create({
      data: {
        userId: input.userId,
        channel: input.channel,
        target,
        purpose: "bind",
        codeHash: hashCode(target, code),
        linkTokenHash: linkToken ? sha256(linkToken) : null,
        ip: input.ip,
        expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
      },
    });
  });
  if ("error" in created) {
    if (created.error === "resend_wait") return { ok: false, error: "resend_wait", retryIn: created.retryIn };
    logger.warn("bind.send.limited", { channel: input.channel, reason: created.error });
    return { ok: false, error: created.error };
  }
  try {
    const link = linkToken ? `${input.origin}/bind/verify?token=${linkToken}` : undefined;
    await input.deliver({ channel: input.channel, target, code, link, ttlMinutes: CODE_TTL_SECONDS / 60 });
  } catch (error) {
    // Not sent: the code never existed, and the attempt does not count against the user.
    await prisma.verificationCode.delete({ where: { id: created.id } });
    logger.warn("bind.send.failed", { channel: input.channel, error: error instanceof Error ? error.message : String(error) });
    return { ok: false, error: "send_failed" };
  }
  logger.info("bind.send.ok", { channel: input.channel, userId: input.userId });
  return { ok: true, resendIn: RESEND_WAIT_SECONDS, expiresIn: CODE_TTL_SECONDS };
}

export type Conflict = { appId: string; options: { identityId: string; openid: string; account: "current" | "existing" }[] };

export type VerifyResult =
  | { ok: true; outcome: "bound" | "merged"; userId: string }
  | { ok: false; error: "invalid_input" | "no_code" | "expired" | "locked" | "already_used" | "taken_meanwhile" | "choice_expired" }
  | { ok: false; error: "wrong_code"; triesLeft: number }
  | { ok: "choose"; verificationId: string; conflicts: Conflict[] };

/** Checks a typed code for the user's newest code to `rawTarget`, then binds (or merges). */
export async function verifyBindCode(input: { userId: string; channel: BindChannel; rawTarget: string; code: string; ip: string | null }): Promise<VerifyResult> {
  const normalized = normalizeTarget(input.channel, input.rawTarget);
  if (!normalized.ok || !/^\d{6}$/.test(input.code)) return { ok: false, error: "invalid_input" };
  const prisma = await db();
  const row = await prisma.verificationCode.findFirst({
    where: { userId: input.userId, target: normalized.target, channel: input.channel, consumedAt: null },
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
  return markVerifiedAndBind(row, input.ip);
}

/** The link in the email: proves the address for the user who asked for the code. */
export async function verifyBindLink(token: string, ip: string | null): Promise<VerifyResult> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, error: "invalid_input" };
  const prisma = await db();
  const row = await prisma.verificationCode.findUnique({ where: { linkTokenHash: sha256(token) } });
  if (!row || row.consumedAt) return { ok: false, error: "no_code" };
  if (row.verifiedAt) return { ok: false, error: "already_used" };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, error: "expired" };
  if (row.attempts >= MAX_ATTEMPTS) return { ok: false, error: "locked" };
  return markVerifiedAndBind(row, ip);
}

async function markVerifiedAndBind(row: VerificationCode, ip: string | null): Promise<VerifyResult> {
  const prisma = await db();
  const { count } = await prisma.verificationCode.updateMany({
    where: { id: row.id, verifiedAt: null, consumedAt: null, attempts: { lt: MAX_ATTEMPTS }, expiresAt: { gt: new Date() } },
    data: { verifiedAt: new Date() },
  });
  if (count !== 1) return { ok: false, error: "already_used" };
  return bindVerified(row.id, row.userId, undefined, ip);
}

/**
 * Binds a verified target to its user, or merges the user into the account owning it. With
 * conflicting identities and no `keep` choice, it stops and asks; `keep` maps an appId to the
 * identity id to keep. All writes, the code's consumption included, are one transaction.
 */
export async function bindVerified(verificationId: string, userId: string, keep: Record<string, string> | undefined, ip: string | null): Promise<VerifyResult> {
  const prisma = await db();
  try {
    return await prisma.$transaction(async (tx): Promise<VerifyResult> => {
      const row = await tx.verificationCode.findUnique({ where: { id: verificationId } });
      if (!row || row.userId !== userId || !row.verifiedAt || row.consumedAt) return { ok: false, error: "no_code" };
      if (Date.now() - row.verifiedAt.getTime() > CHOICE_WINDOW_MS) return { ok: false, error: "choice_expired" };
      const field = userField(row.channel as BindChannel);
      const verifiedField = field === "phone" ? "phoneVerified" : "emailVerified";
      const owner = await tx.user.findFirst({ where: { [field]: row.target }, select: { id: true } });
      const consume = () => tx.verificationCode.update({ where: { id: row.id }, data: { consumedAt: new Date() } });

      if (!owner || owner.id === userId) {
        await tx.user.update({ where: { id: userId }, data: { [field]: row.target, [verifiedField]: new Date() } });
        await consume();
        await tx.auditLog.create({ data: { userId, action: `bind.${field}`, ip, detail: { channel: row.channel } } });
        return { ok: true, outcome: "bound", userId };
      }

      const identities = await tx.wechatIdentity.findMany({ where: { userId: { in: [userId, owner.id] } }, select: { id: true, appId: true, openid: true, userId: true } });
      const byApp = new Map<string, typeof identities>();
      for (const identity of identities) byApp.set(identity.appId, [...(byApp.get(identity.appId) ?? []), identity]);
      const conflicts: Conflict[] = [...byApp.entries()]
        .filter(([, list]) => new Set(list.map((identity) => identity.userId)).size > 1)
        .map(([appId, list]) => ({
          appId,
          options: list.map((identity) => ({ identityId: identity.id, openid: maskOpenid(identity.openid), account: identity.userId === userId ? ("current" as const) : ("existing" as const) })),
        }));
      const drop: string[] = [];
      for (const conflict of conflicts) {
        const kept = keep?.[conflict.appId];
        if (!kept || !conflict.options.some((option) => option.identityId === kept)) return { ok: "choose", verificationId: row.id, conflicts };
        drop.push(...conflict.options.filter((option) => option.identityId !== kept).map((option) => option.identityId));
      }
      // Consumed and handed to the survivor first: the merge deletes the loser's open codes.
      await tx.verificationCode.update({ where: { id: row.id }, data: { consumedAt: new Date(), userId: owner.id } });
      await mergeUsers(tx, userId, owner.id, { action: `merge.bind_${field}`, dropIdentityIds: drop, ip });
      return { ok: true, outcome: "merged", userId: owner.id };
    });
  } catch (error) {
    // Someone else bound the same target between our read and our write: nothing was written.
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return { ok: false, error: "taken_meanwhile" };
    throw error;
  }
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

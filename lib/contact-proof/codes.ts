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
import { isToken, randomToken, safeEqual, sha256 } from "@/lib/crypto";
import type { VerificationCode } from "@/lib/db/generated/client";
import { releaseLimits, type Limit } from "@/lib/db/limits";
import { getContactFacts } from "@/lib/db/people";
import {
  bindProvedContact,
  countWrongAttempt,
  createVerificationCode,
  deleteVerificationCode,
  findCodeByLinkHash,
  findContactOwner,
  findLatestCode,
} from "@/lib/db/verification-codes";
import type { ConfirmPhone } from "@/lib/db/login-tickets";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { countRateLimited } from "@/lib/telemetry";
import { isBindingDue } from "./due";
import { type BindChannel, maskTarget, normalizePhone, normalizeTarget } from "./targets";

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
  if ((await findContactOwner(userField(input.channel), target)) === input.userId) return { ok: false, error: "already_yours" };

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
  const created = await createVerificationCode(limits, {
    userId: input.userId,
    channel: input.channel,
    target,
    codeHash: hashCode(target, code),
    linkTokenHash: linkToken ? sha256(linkToken) : null,
    sessionHash: input.sessionHash,
    ip: input.ip,
    expiresAt: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
  });
  if (!created.ok) {
    const error = LIMIT_ERRORS[created.bucket] ?? "target_daily_limit";
    logger.warn("bind.send.limited", { channel: input.channel, reason: error });
    countRateLimited(created.bucket);
    return { ok: false, error, retryIn: created.retryAfterSeconds };
  }
  try {
    const link = linkToken ? `${input.origin}/bind/verify?token=${linkToken}` : undefined;
    await input.deliver({ channel: input.channel, target, code, link, ttlMinutes: CODE_TTL_SECONDS / 60 });
  } catch (error) {
    // Not sent: the code never existed, and the attempt counts against no limit.
    await deleteVerificationCode(created.id);
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
  // A code asked for in another browser (another session of the same user included) is not found here.
  const row = await findLatestCode({ userId: input.userId, sessionHash: input.sessionHash, target: normalized.target, channel: input.channel });
  if (!row) return { ok: false, error: "no_code" };
  if (row.verifiedAt) return { ok: false, error: "already_used" };
  if (row.attempts >= MAX_ATTEMPTS) return { ok: false, error: "locked" };
  if (row.expiresAt.getTime() <= Date.now()) return { ok: false, error: "expired" };
  if (!safeEqual(hashCode(row.target, input.code), row.codeHash)) {
    // Counted in the database, so parallel guesses cannot exceed the limit.
    if (!(await countWrongAttempt(row.id, MAX_ATTEMPTS))) return { ok: false, error: "locked" };
    const triesLeft = MAX_ATTEMPTS - (row.attempts + 1);
    return triesLeft > 0 ? { ok: false, error: "wrong_code", triesLeft } : { ok: false, error: "locked" };
  }
  return bindProved(row, input);
}

export type LinkView = "confirm" | "other_browser" | "invalid";

async function findLiveLink(token: string): Promise<VerificationCode | undefined> {
  if (!isToken(token)) return undefined;
  const row = await findCodeByLinkHash(sha256(token));
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
  const channel = row.channel as BindChannel;
  return bindTo(channel, row.target, { kind: "code", code: row, maxAttempts: MAX_ATTEMPTS, resendBucket: RESEND_BUCKET }, prover);
}

async function bindTo(channel: BindChannel, target: string, proof: Parameters<typeof bindProvedContact>[0]["proof"], prover: Omit<Prover, "sessionHash">) {
  const result = await bindProvedContact({ proof, userId: prover.userId, field: userField(channel), shownTarget: maskTarget(channel, target), ip: prover.ip });
  if (!result.ok) return result;
  return announceBind(channel, target, result, prover);
}

/** After a bind committed: tells a moved-away contact, and names the outcome. */
export async function announceBind(
  channel: BindChannel,
  target: string,
  result: { movedFrom: string | undefined },
  prover: { userId: string; notify: NotifyMoved },
): Promise<{ ok: true; outcome: "bound" | "moved"; userId: string }> {
  if (result.movedFrom) {
    logger.info("bind.contact_moved", { channel, fromUserId: result.movedFrom, toUserId: prover.userId });
    await prover.notify({ channel, target, at: new Date() });
  }
  return { ok: true, outcome: result.movedFrom ? "moved" : "bound", userId: prover.userId };
}

/**
 * The mini program's one-tap phone (`getuserphonenumber`) as a proof: WeChat has verified the
 * number, so it counts as a proved phone under the rules of an SMS code. A number another account
 * holds moves to the prover and nothing else of that account changes; it never signs anyone in
 * to it. Undefined for a number we cannot read as a mobile number.
 *
 * @see docs/wechat-protocol.md §H4.2
 */
export function wechatPhoneProof(phone: { countryCode: string; purePhoneNumber: string }, ip: string | null): ConfirmPhone | undefined {
  // Any country WeChat vouches for: SMS_COUNTRY_CODES limits where we send codes, not which numbers are real.
  const normalized = normalizePhone(`+${phone.countryCode.replace(/^\+/, "")}${phone.purePhoneNumber}`);
  return normalized.ok ? { target: normalized.target, shownTarget: maskTarget("phone", normalized.target), ip } : undefined;
}

/** Whether the user must bind a phone or email before going on (required mode). */
export async function needsBinding(userId: string, options: { justSignedIn?: boolean } = {}): Promise<boolean> {
  return isBindingDue(await getContactFacts(userId), options);
}

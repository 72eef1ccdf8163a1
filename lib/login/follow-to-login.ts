/**
 * Follow-to-login tickets: our own QR through the Official Account, with a live status.
 *
 *   waiting ──scan──▶ scanned ──confirm on phone──▶ confirmed ──redeem by the binding browser──▶ redeemed
 *      └─▶ expired           └─▶ cancelled (cancel, or the wrong number picked)
 *
 * The browser holds an opaque ticket id and an HttpOnly binding cookie; the openid never leaves
 * the server. A scan (subscribe with `qrscene_<scene>`, or SCAN) answers the scanner, in their
 * WeChat chat, with a one-time link to a confirm page. That page shows which device and network
 * is asking and makes the person pick the number the requesting screen shows, so a QR sent to
 * a victim by an attacker cannot be confirmed blindly (QR-login hijacking).
 */
import "server-only";
import { randomInt } from "node:crypto";
import { randomAlphanumeric, randomToken, sha256 } from "@/lib/crypto";
import type { LoginTicket } from "@/lib/db/generated/client";
import {
  cancelOpenTicket,
  cancelScannedTicket,
  confirmTicketForPerson,
  expireOpenTicket,
  findTicket,
  findTicketByConfirmTokenHash,
  findTicketByScene,
  findWaitingTicket,
  insertTicket,
  markTicketScanned,
} from "@/lib/db/login-tickets";
import { getEnv } from "@/lib/env";
import { AppError, type TicketErrorCode } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { createTempQr, getFollower, requireOfficialAccount } from "@/lib/wechat/official-account";
import { getLoginBus, type TicketStatus } from "./bus";
import { completeSignIn, type BrowserContext } from "./complete-sign-in";

const CONFIRM_LINK_TTL_MS = 5 * 60_000;
/** A confirmed ticket must be redeemed this soon, or it reads expired: the page redeems at once. */
export const REDEEM_WINDOW_MS = 2 * 60_000;
/** A waiting ticket is reused for the same browser only if this much of its life is left. */
const REUSE_MIN_LEFT_MS = 60_000;
const OPEN_STATUSES: TicketStatus[] = ["waiting", "scanned"];
/** The shape of the ids we mint (24 random bytes, base64url): anything else is refused unread. */
const TICKET_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

export function isTicketId(id: string): boolean {
  return TICKET_ID_PATTERN.test(id);
}

/** `expiresIn` (seconds from now) lets the page count down on its own clock, however wrong it is. */
export type TicketView = { id: string; status: TicketStatus; expiresAt: string; expiresIn: number; matchCode: string };

function ticketError(code: TicketErrorCode): AppError {
  return new AppError(code);
}

/** The status a reader should see: open tickets past their expiry read as expired. */
export function effectiveStatus(ticket: Pick<LoginTicket, "status" | "expiresAt" | "confirmedAt">, now = Date.now()): TicketStatus {
  const status = ticket.status as TicketStatus;
  if (OPEN_STATUSES.includes(status) && ticket.expiresAt.getTime() <= now) return "expired";
  // A confirm nobody redeemed (the page closed, or a stolen ticket id) must not stay a session-in-waiting.
  if (status === "confirmed" && (!ticket.confirmedAt || ticket.confirmedAt.getTime() + REDEEM_WINDOW_MS <= now)) return "expired";
  return status;
}

function toView(ticket: LoginTicket): TicketView {
  const expiresIn = Math.max(0, Math.round((ticket.expiresAt.getTime() - Date.now()) / 1000));
  return { id: ticket.id, status: effectiveStatus(ticket), expiresAt: ticket.expiresAt.toISOString(), expiresIn, matchCode: ticket.matchCode };
}

async function publish(id: string, status: TicketStatus): Promise<void> {
  try {
    await getLoginBus().publish({ id, status });
  } catch (error) {
    // The page's polling fallback still sees the database; a lost notification only delays it.
    logger.warn("login.ticket.publish_failed", { status, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * This browser's ticket that is still waiting with time left, if any. Handing it out again
 * instead of a new one keeps reloads and scripted bursts from spending the Official Account's
 * daily `qrcode/create` quota.
 */
export async function findReusableTicket(bindingHash: string, returnTo: string): Promise<(TicketView & { qrUrl: string }) | undefined> {
  const ticket = await findWaitingTicket(bindingHash, returnTo, new Date(Date.now() + REUSE_MIN_LEFT_MS));
  return ticket?.qrUrl ? { ...toView(ticket), qrUrl: ticket.qrUrl } : undefined;
}

/** Creates a ticket and its WeChat QR. Nothing is stored if WeChat refuses the QR. */
export async function createLoginTicket(input: {
  bindingHash: string;
  returnTo: string;
  ip: string | null;
  userAgent: string | null;
}): Promise<TicketView & { qrUrl: string }> {
  const account = requireOfficialAccount();
  const ttlSeconds = getEnv().wechat.ticketTtlSeconds;
  const scene = `login_${randomAlphanumeric(40)}`;
  const qr = await createTempQr(scene, ttlSeconds);
  const ticket = await insertTicket({
    // 24 random bytes: 192 bits, opaque to the page.
    id: randomToken(24),
    bindingHash: input.bindingHash,
    appId: account.appId,
    scene,
    wechatTicket: qr.ticket,
    qrUrl: qr.url,
    matchCode: String(randomInt(10, 100)),
    returnTo: input.returnTo,
    requestIp: input.ip,
    requestUserAgent: input.userAgent?.slice(0, 512) ?? null,
    expiresAt: new Date(Date.now() + Math.min(ttlSeconds, qr.expire_seconds ?? ttlSeconds) * 1000),
  });
  return { ...toView(ticket), qrUrl: qr.url };
}

/** The ticket as its own browser may see it; other browsers get not_found. */
export async function getTicketForBrowser(id: string, bindingHash: string | undefined): Promise<TicketView> {
  return toView(await findOwnTicket(id, bindingHash));
}

export type ScanResult = { kind: "confirm_link"; confirmToken: string } | { kind: "expired" } | { kind: "taken" } | { kind: "finished" } | { kind: "unknown" };

/**
 * A scan event for `scene` from `openid`. Idempotent for one scanner: a retried or repeated scan
 * issues a fresh link without a second status change. A second person scanning the same QR is
 * turned away.
 */
export async function recordScan(scene: string, openid: string): Promise<ScanResult> {
  const ticket = await findTicketByScene(scene);
  if (!ticket) return { kind: "unknown" };
  const status = effectiveStatus(ticket);
  if (status === "expired") return { kind: "expired" };
  if (status !== "waiting" && status !== "scanned") return { kind: "finished" };
  if (status === "scanned" && ticket.openid !== openid) return { kind: "taken" };
  const confirmToken = randomToken(32);
  if (!(await markTicketScanned(ticket, openid, sha256(confirmToken), ticket.choices ?? drawChoices(ticket.matchCode)))) return { kind: "taken" };
  if (status === "waiting") await publish(ticket.id, "scanned");
  return { kind: "confirm_link", confirmToken };
}

export type ConfirmView = {
  status: TicketStatus;
  requestIp: string | null;
  requestUserAgent: string | null;
  createdAt: Date;
  choices: string[];
};

async function findByConfirmToken(confirmToken: string): Promise<LoginTicket> {
  const ticket = await findTicketByConfirmTokenHash(sha256(confirmToken));
  if (!ticket || !ticket.scannedAt || Date.now() - ticket.scannedAt.getTime() > CONFIRM_LINK_TTL_MS) throw ticketError("not_found");
  return ticket;
}

/**
 * The right number and two decoys, sorted, as stored text. Drawn once per ticket and kept: if a
 * reload drew new decoys, the one number common to a few reloads would be the answer.
 */
function drawChoices(matchCode: string): string {
  const decoys = new Set<string>([matchCode]);
  while (decoys.size < 3) decoys.add(String(randomInt(10, 100)));
  return [...decoys].sort().join(",");
}

/** What the phone's confirm page shows: who is asking, and three numbers to pick from. */
export async function getConfirmView(confirmToken: string): Promise<ConfirmView> {
  const ticket = await findByConfirmToken(confirmToken);
  // Every scan stores the numbers (recordScan); a link without them cannot be answered, and a
  // GET never writes: scanning again stores them.
  if (!ticket.choices) throw ticketError("not_found");
  const choices = ticket.choices.split(",");
  return { status: effectiveStatus(ticket), requestIp: ticket.requestIp, requestUserAgent: ticket.requestUserAgent, createdAt: ticket.createdAt, choices };
}

/**
 * The person on the phone confirms, picking a number. The right number resolves the WeChat user
 * (unionid from `cgi-bin/user/info`) and confirms the ticket; a wrong one cancels it for good.
 */
export async function confirmTicket(confirmToken: string, pickedCode: string): Promise<"confirmed" | "cancelled"> {
  const ticket = await findByConfirmToken(confirmToken);
  const status = effectiveStatus(ticket);
  if (status === "expired") throw ticketError("expired");
  if (status !== "scanned" || !ticket.openid) throw ticketError(status === "cancelled" ? "cancelled" : "already_scanned");
  if (pickedCode !== ticket.matchCode) {
    await cancelScannedTicket(ticket.id, "number_mismatch");
    logger.warn("login.ticket.number_mismatch", { ticketAppId: ticket.appId });
    await publish(ticket.id, "cancelled");
    return "cancelled";
  }
  const follower = await getFollower(ticket.openid);
  // Lost a race with a cancel or the expiry: the user changes were rolled back too.
  if (!(await confirmTicketForPerson(ticket.id, { appId: ticket.appId, openid: ticket.openid, unionid: follower.unionid }))) throw ticketError("not_confirmed");
  await publish(ticket.id, "confirmed");
  return "confirmed";
}

export async function cancelTicket(confirmToken: string): Promise<void> {
  const ticket = await findByConfirmToken(confirmToken);
  if (await cancelOpenTicket(ticket.id)) await publish(ticket.id, "cancelled");
}

/** This browser's ticket; any other browser, and any id of the wrong shape, gets not_found. */
async function findOwnTicket(id: string, bindingHash: string | undefined): Promise<LoginTicket> {
  if (!isTicketId(id) || !bindingHash) throw ticketError("not_found");
  const ticket = await findTicket(id);
  if (!ticket || ticket.bindingHash !== bindingHash) throw ticketError("not_found");
  return ticket;
}

/**
 * Turns a confirmed ticket into an Auth.js session, once, and only for the browser holding the
 * binding cookie: the status flip and the session are one transaction (complete-sign-in.ts).
 */
export async function redeemTicket(
  id: string,
  bindingHash: string | undefined,
  browser: BrowserContext,
): Promise<{ sessionToken: string; expires: Date; returnTo: string; nickname: string | null }> {
  const ticket = await findOwnTicket(id, bindingHash);
  const status = effectiveStatus(ticket);
  if (status === "redeemed") throw ticketError("already_redeemed");
  if (status === "expired") throw ticketError("expired");
  if (status !== "confirmed" || !ticket.userId) throw ticketError("not_confirmed");
  // A redeem that lost its race (a second tab, the window passing) fails with already_redeemed.
  const signedIn = await completeSignIn({
    subject: { userId: ticket.userId },
    method: "wechat:follow",
    attempt: { kind: "ticket", id, bindingHash: ticket.bindingHash, confirmedAfter: new Date(Date.now() - REDEEM_WINDOW_MS) },
    browser,
    returnTo: ticket.returnTo,
    // Shown on the computer, so a victim of a forwarded QR sees whose account this now is.
    withName: true,
  });
  await publish(id, "redeemed");
  return { sessionToken: signedIn.session.token, expires: signedIn.session.expires, returnTo: signedIn.landing, nickname: signedIn.name ?? null };
}

/** Marks a ticket expired and tells its watchers (called when a stream reaches the expiry). */
export async function expireTicket(id: string): Promise<void> {
  if (await expireOpenTicket(id)) await publish(id, "expired");
}

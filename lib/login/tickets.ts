/**
 * Login tickets: our own code with a live status, whichever surface draws it (the Official
 * Account's parametric QR in follow-to-login.ts, the mini-program code in mini-program.ts).
 *
 *   waiting ──scan──▶ scanned ──confirm on phone──▶ confirmed ──redeem by the binding browser──▶ redeemed
 *      └─▶ expired           └─▶ cancelled (cancel, or the wrong number picked)
 *
 * The browser holds an opaque ticket id and an HttpOnly binding cookie; the openid never leaves
 * the server. The phone that scanned gets a one-time confirm token; the confirm step makes the
 * person pick the number the requesting screen shows, so a code sent to a victim by an attacker
 * cannot be confirmed blindly (QR-login hijacking). A surface decides how a code is drawn, how a
 * scan reaches us and how the person's unionid is learnt; everything else is here, once.
 */
import "server-only";
import { randomInt } from "node:crypto";
import { randomToken, sha256 } from "@/lib/crypto";
import type { LoginTicket } from "@/lib/db/generated/client";
import {
  cancelOpenTicket,
  cancelScannedTicket,
  confirmTicketForPerson,
  expireOpenTicket,
  findTicket,
  findTicketByConfirmTokenHash,
  findWaitingTicket,
  insertFailedTicket,
  insertTicket,
  markTicketScanned,
  recordTicketFailure,
  REDEEM_WINDOW_MS,
  type ConfirmPhone,
  type NewTicket,
} from "@/lib/db/login-tickets";
import type { WechatSignIn } from "@/lib/db/people";
import type { BindOutcome } from "@/lib/db/verification-codes";
import { AppError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import { attemptOfTicket, errorCodeOf, openAttempt, recordFailedStep, recordStep, wechatFailureOf, withAttempt } from "./attempt";
import { getLoginBus, type TicketStatus } from "./bus";
import { completeSignIn, type BrowserContext, type SignInMethod } from "./complete-sign-in";

export { REDEEM_WINDOW_MS };

export type TicketSurface = "official_account" | "mini_program";

/** How long the phone may take between the scan and its confirm. */
export const CONFIRM_LINK_TTL_MS = 5 * 60_000;
/** A waiting ticket is reused for the same browser only if this much of its life is left. */
const REUSE_MIN_LEFT_MS = 60_000;
const OPEN_STATUSES: TicketStatus[] = ["waiting", "scanned"];
/** The shape of the ids we mint (24 random bytes, base64url): anything else is refused unread. */
const TICKET_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;
const METHOD: Record<TicketSurface, SignInMethod> = { official_account: "wechat:follow", mini_program: "wechat:mini-program" };

export function isTicketId(id: string): boolean {
  return TICKET_ID_PATTERN.test(id);
}

/** A new ticket's id: 24 random bytes, 192 bits, opaque to the page. */
export function newTicketId(): string {
  return randomToken(24);
}

/** The number the requesting screen shows and the phone must pick. */
export function newMatchCode(): string {
  return String(randomInt(10, 100));
}

/**
 * What the browser that asked for a ticket sees of it. `expiresIn` (seconds from now) lets the page
 * count down on its own clock, however wrong it is. `attemptId` is the sign-in reference the page
 * shows when the sign-in fails, for support to open it at /admin/attempts (never a bearer value).
 */
export type TicketView = {
  id: string;
  attemptId: string;
  surface: TicketSurface;
  status: TicketStatus;
  expiresAt: string;
  expiresIn: number;
  matchCode: string;
};

/** The status a reader should see: open tickets past their expiry read as expired. */
export function effectiveStatus(ticket: Pick<LoginTicket, "status" | "expiresAt" | "confirmedAt">, now = Date.now()): TicketStatus {
  const status = ticket.status as TicketStatus;
  if (OPEN_STATUSES.includes(status) && ticket.expiresAt.getTime() <= now) return "expired";
  // A confirm nobody redeemed (the page closed, or a stolen ticket id) must not stay a session-in-waiting.
  if (status === "confirmed" && (!ticket.confirmedAt || ticket.confirmedAt.getTime() + REDEEM_WINDOW_MS <= now)) return "expired";
  return status;
}

export function toView(ticket: LoginTicket): TicketView {
  const expiresIn = Math.max(0, Math.round((ticket.expiresAt.getTime() - Date.now()) / 1000));
  return {
    id: ticket.id,
    attemptId: ticket.attemptId,
    surface: ticket.surface as TicketSurface,
    status: effectiveStatus(ticket),
    expiresAt: ticket.expiresAt.toISOString(),
    expiresIn,
    matchCode: ticket.matchCode,
  };
}

export async function publish(id: string, status: TicketStatus): Promise<void> {
  try {
    await getLoginBus().publish({ id, status });
  } catch (error) {
    // The page's polling fallback still sees the database; a lost notification only delays it.
    logger.warn("login.ticket.publish_failed", { status, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * This browser's ticket of one surface and app that is still waiting with time left, if any.
 * Handing it out again instead of a new one keeps reloads and scripted bursts from spending
 * WeChat's quotas (`qrcode/create`, `getwxacodeunlimit`).
 */
export async function findReusableTicket(where: { bindingHash: string; returnTo: string; surface: TicketSurface; appId: string }): Promise<LoginTicket | null> {
  return findWaitingTicket(where, new Date(Date.now() + REUSE_MIN_LEFT_MS));
}

/** A new ticket's own fields; the surface draws the code WeChat shows for it. */
export type TicketRequest = {
  surface: TicketSurface;
  appId: string;
  scene: string;
  bindingHash: string;
  returnTo: string;
  ip: string | null;
  userAgent: string | null;
  ttlSeconds: number;
};

/** What a surface drew for a ticket: the QR or the mini-program code, and how long WeChat keeps it. */
export type DrawnCode = Pick<NewTicket, "wechatTicket" | "qrUrl" | "codeImage"> & { ttlSeconds?: number | undefined };

/**
 * Creates a ticket, one attempt (attempt.ts), once `draw` has had WeChat draw its code. If WeChat
 * refuses, the attempt is kept as a failed one with the errcode and rid (no code, nothing to scan)
 * and the error goes on to the page.
 */
export async function createTicket(request: TicketRequest, draw: () => Promise<DrawnCode>): Promise<LoginTicket> {
  const { ref, ...attempt } = openAttempt(request.surface);
  return withAttempt(ref, async () => {
    const base = {
      id: newTicketId(),
      ...attempt,
      bindingHash: request.bindingHash,
      surface: request.surface,
      appId: request.appId,
      scene: request.scene,
      matchCode: newMatchCode(),
      returnTo: request.returnTo,
      requestIp: request.ip,
      requestUserAgent: request.userAgent?.slice(0, 512) ?? null,
    };
    let drawn: DrawnCode;
    try {
      drawn = await draw();
    } catch (error) {
      const expiresAt = new Date(attempt.createdAt.getTime() + request.ttlSeconds * 1000);
      await insertFailedTicket({ ...base, expiresAt }, { errorCode: errorCodeOf(error), ...wechatFailureOf(error) });
      recordFailedStep(ref, "created", error);
      throw error;
    }
    const { ttlSeconds = request.ttlSeconds, ...code } = drawn;
    const expiresAt = new Date(attempt.createdAt.getTime() + Math.min(request.ttlSeconds, ttlSeconds) * 1000);
    const ticket = await insertTicket({ ...base, ...code, expiresAt });
    recordStep(ref, "created");
    recordStep(ref, "shown");
    return ticket;
  });
}

/**
 * WeChat refused a step of an open ticket (a mini program's `jscode2session`, the Official
 * Account's `user/info`): the ticket stays open for another try and keeps the failure.
 */
export async function recordTicketStepFailure(ticket: LoginTicket, step: "code_exchanged" | "profile_fetched", error: unknown): Promise<void> {
  await recordTicketFailure(ticket.id, { errorCode: errorCodeOf(error), ...wechatFailureOf(error) });
  recordFailedStep(attemptOfTicket(ticket), step, error);
}

/** This browser's ticket; any other browser, and any id of the wrong shape, gets not_found. */
export async function findOwnTicket(id: string, bindingHash: string | undefined): Promise<LoginTicket> {
  if (!isTicketId(id) || !bindingHash) throw new AppError("not_found");
  const ticket = await findTicket(id);
  if (!ticket || ticket.bindingHash !== bindingHash) throw new AppError("not_found");
  return ticket;
}

/** The ticket as its own browser may see it; other browsers get not_found. */
export async function getTicketForBrowser(id: string, bindingHash: string | undefined): Promise<TicketView> {
  return toView(await findOwnTicket(id, bindingHash));
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

export type ScanResult =
  { kind: "confirm_link"; confirmToken: string; ticket: LoginTicket } | { kind: "expired" } | { kind: "taken" } | { kind: "finished" } | { kind: "unknown" };

/**
 * A scan of `ticket` by `person`. Idempotent for one scanner: a retried or repeated scan issues
 * a fresh confirm token without a second status change. A second person scanning the same code
 * is turned away.
 */
export async function scanTicket(ticket: LoginTicket | null, person: { openid: string; unionid?: string | undefined }): Promise<ScanResult> {
  if (!ticket) return { kind: "unknown" };
  const status = effectiveStatus(ticket);
  if (status === "expired") return { kind: "expired" };
  if (status !== "waiting" && status !== "scanned") return { kind: "finished" };
  if (status === "scanned" && ticket.openid !== person.openid) return { kind: "taken" };
  const confirmToken = randomToken(32);
  const scanned = await markTicketScanned(ticket, {
    ...person,
    confirmTokenHash: sha256(confirmToken),
    choices: ticket.choices ?? drawChoices(ticket.matchCode),
  });
  if (!scanned) return { kind: "taken" };
  if (status === "waiting") {
    recordStep(attemptOfTicket(ticket), "scanned");
    await publish(ticket.id, "scanned");
  }
  return { kind: "confirm_link", confirmToken, ticket: scanned };
}

/**
 * The scanned ticket of `surface` a confirm token stands for, while the token is young enough. A
 * token of the other surface is not found: each surface's phone answers only its own tickets.
 */
export async function findByConfirmToken(confirmToken: string, surface: TicketSurface): Promise<LoginTicket> {
  const ticket = await findTicketByConfirmTokenHash(sha256(confirmToken));
  if (!ticket || ticket.surface !== surface || !ticket.scannedAt || Date.now() - ticket.scannedAt.getTime() > CONFIRM_LINK_TTL_MS) {
    throw new AppError("not_found");
  }
  return ticket;
}

export type ConfirmView = {
  surface: TicketSurface;
  status: TicketStatus;
  requestIp: string | null;
  requestUserAgent: string | null;
  createdAt: Date;
  choices: string[];
};

/** What the phone's confirm step shows: who is asking, and three numbers to pick from. */
export function confirmViewOf(ticket: LoginTicket): ConfirmView {
  // Every scan stores the numbers (scanTicket); a ticket without them cannot be answered.
  if (!ticket.choices) throw new AppError("not_found");
  return {
    surface: ticket.surface as TicketSurface,
    status: effectiveStatus(ticket),
    requestIp: ticket.requestIp,
    requestUserAgent: ticket.requestUserAgent,
    createdAt: ticket.createdAt,
    choices: ticket.choices.split(","),
  };
}

/**
 * The person on the phone picks a number. The right one resolves the WeChat user (`person`
 * learns the unionid the surface's way) and confirms the ticket, with a WeChat-verified phone
 * bound in the same transaction when the surface has one; a wrong one cancels it for good.
 */
export async function confirmWithNumber(
  ticket: LoginTicket,
  pickedCode: string,
  person: (openid: string) => Promise<WechatSignIn>,
  phone?: ConfirmPhone,
): Promise<{ status: "confirmed"; userId: string; phone?: BindOutcome } | { status: "cancelled" }> {
  const status = effectiveStatus(ticket);
  if (status === "expired") throw new AppError("expired");
  if (status !== "scanned" || !ticket.openid) throw new AppError(status === "cancelled" ? "cancelled" : "already_scanned");
  const attempt = attemptOfTicket(ticket);
  if (pickedCode !== ticket.matchCode) {
    await cancelScannedTicket(ticket.id, "number_mismatch");
    recordStep(attempt, "confirmed", "failed", { reason: "number_mismatch" });
    logger.warn("login.ticket.number_mismatch", { surface: ticket.surface, ticketAppId: ticket.appId });
    await publish(ticket.id, "cancelled");
    return { status: "cancelled" };
  }
  // Lost a race with a cancel or the expiry: the user changes were rolled back too.
  const confirmed = await confirmTicketForPerson(ticket.id, await person(ticket.openid), phone);
  if (!confirmed) throw new AppError("not_confirmed");
  recordStep(attempt, "confirmed");
  recordStep(attempt, "person_resolved");
  await publish(ticket.id, "confirmed");
  return { status: "confirmed", ...confirmed };
}

/** The phone says no: the ticket is cancelled and its page told. */
export async function cancelByConfirmToken(confirmToken: string, surface: TicketSurface): Promise<void> {
  const ticket = await findByConfirmToken(confirmToken, surface);
  await withAttempt(attemptOfTicket(ticket), async () => {
    if (!(await cancelOpenTicket(ticket.id))) return;
    recordStep(attemptOfTicket(ticket), "confirmed", "cancelled");
    await publish(ticket.id, "cancelled");
  });
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
  return withAttempt(attemptOfTicket(ticket), () => redeemOwnTicket(ticket, browser));
}

async function redeemOwnTicket(
  ticket: LoginTicket,
  browser: BrowserContext,
): Promise<{ sessionToken: string; expires: Date; returnTo: string; nickname: string | null }> {
  const id = ticket.id;
  const status = effectiveStatus(ticket);
  if (status === "redeemed") throw new AppError("already_redeemed");
  if (status === "expired") throw new AppError("expired");
  if (status !== "confirmed" || !ticket.userId) throw new AppError("not_confirmed");
  // A redeem that lost its race (a second tab, the window passing) fails with already_redeemed.
  const signedIn = await completeSignIn({
    subject: { userId: ticket.userId },
    method: METHOD[ticket.surface as TicketSurface],
    attempt: { kind: "ticket", id, bindingHash: ticket.bindingHash, confirmedAfter: new Date(Date.now() - REDEEM_WINDOW_MS) },
    browser,
    returnTo: ticket.returnTo,
    // Shown on the computer, so a victim of a forwarded QR sees whose account this now is.
    withName: true,
  });
  recordStep(attemptOfTicket(ticket), "signed_in");
  await publish(id, "redeemed");
  return { sessionToken: signedIn.session.token, expires: signedIn.session.expires, returnTo: signedIn.landing, nickname: signedIn.name ?? null };
}

/** Marks a ticket expired and tells its watchers (called when a stream reaches the expiry). */
export async function expireTicket(id: string): Promise<void> {
  if (!(await expireOpenTicket(id))) return;
  const ticket = await findTicket(id);
  // The step it was waiting for when it ran out: the scan, or the confirm on the phone.
  if (ticket) recordStep(attemptOfTicket(ticket), ticket.scannedAt ? "confirmed" : "scanned", "expired");
  await publish(id, "expired");
}

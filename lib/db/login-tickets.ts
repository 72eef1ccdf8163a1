/**
 * Login tickets (lib/login/tickets.ts): rows and their conditional status
 * changes. Every change is an UPDATE guarded by the status it expects, so a scan, a confirm, a
 * cancel and the expiry racing each other leave one winner.
 */
import "server-only";
import { db, transactionWithRetry } from "./client";
import type { LoginTicket, Prisma } from "./generated/client";
import { upsertIdentity, type WechatSignIn } from "./people";
import { bindContactInTransaction, type BindOutcome } from "./verification-codes";

const OPEN = ["waiting", "scanned"];
/** A confirmed ticket must be redeemed this soon, or it reads expired: the page redeems at once. */
export const REDEEM_WINDOW_MS = 2 * 60_000;

export type NewTicket = Pick<
  Prisma.LoginTicketUncheckedCreateInput,
  | "id"
  | "attemptId"
  | "createdAt"
  | "traceParent"
  | "bindingHash"
  | "surface"
  | "appId"
  | "scene"
  | "wechatTicket"
  | "qrUrl"
  | "codeImage"
  | "matchCode"
  | "returnTo"
  | "requestIp"
  | "requestUserAgent"
  | "expiresAt"
>;

export async function insertTicket(data: NewTicket): Promise<LoginTicket> {
  const prisma = await db();
  return prisma.loginTicket.create({ data: { ...data, status: "waiting" } });
}

/** Our error code, and WeChat's errcode and rid when WeChat refused: what the operator console shows. */
export type TicketFailure = { errorCode: string; errcode: number | null; rid: string | null };

/**
 * An attempt that failed before its code could be shown (WeChat refused to draw it): kept as a
 * finished `error` row without a code, so the funnel and the console see it. Nobody can scan it.
 */
export async function insertFailedTicket(data: Omit<NewTicket, "wechatTicket" | "qrUrl" | "codeImage">, failure: TicketFailure): Promise<void> {
  const prisma = await db();
  await prisma.loginTicket.create({ data: { ...data, ...failure, status: "error", finishedAt: new Date() } });
}

/**
 * WeChat refused a step of an open ticket (a mini program's `jscode2session`): the ticket stays
 * open, since the person may try again, and keeps the last failure. If it then expires, the
 * attempt reads failed with this errcode rather than merely expired.
 */
export async function recordTicketFailure(id: string, failure: TicketFailure): Promise<void> {
  const prisma = await db();
  await prisma.loginTicket.updateMany({ where: { id, status: { in: OPEN } }, data: failure });
}

/** This browser's newest waiting ticket of one surface and app for `returnTo` that still lives past `aliveAfter`. */
export async function findWaitingTicket(
  where: { bindingHash: string; returnTo: string; surface: string; appId: string },
  aliveAfter: Date,
): Promise<LoginTicket | null> {
  const prisma = await db();
  return prisma.loginTicket.findFirst({ where: { ...where, status: "waiting", expiresAt: { gt: aliveAfter } }, orderBy: { createdAt: "desc" } });
}

/** Keeps the same-phone URL Link with its ticket, so asking again does not spend WeChat's quota. */
export async function saveTicketUrlLink(id: string, urlLink: string): Promise<void> {
  const prisma = await db();
  await prisma.loginTicket.updateMany({ where: { id }, data: { urlLink } });
}

export async function findTicket(id: string): Promise<LoginTicket | null> {
  const prisma = await db();
  return prisma.loginTicket.findUnique({ where: { id } });
}

export async function findTicketByScene(scene: string): Promise<LoginTicket | null> {
  const prisma = await db();
  return prisma.loginTicket.findUnique({ where: { scene } });
}

export async function findTicketByConfirmTokenHash(confirmTokenHash: string): Promise<LoginTicket | null> {
  const prisma = await db();
  return prisma.loginTicket.findUnique({ where: { confirmTokenHash } });
}

/** Records a scan by `openid` unless another person scanned first; the scanned row when recorded. */
export async function markTicketScanned(
  ticket: LoginTicket,
  scan: { openid: string; unionid?: string | undefined; confirmTokenHash: string; choices: string },
): Promise<LoginTicket | null> {
  const prisma = await db();
  const scannedAt = ticket.scannedAt ?? new Date();
  const data = {
    status: "scanned",
    openid: scan.openid,
    unionid: scan.unionid ?? null,
    scannedAt,
    confirmTokenHash: scan.confirmTokenHash,
    choices: scan.choices,
  };
  const { count } = await prisma.loginTicket.updateMany({
    where: { id: ticket.id, status: { in: OPEN }, OR: [{ openid: null }, { openid: scan.openid }] },
    data,
  });
  return count === 1 ? { ...ticket, ...data } : null;
}

/** A wrong number picked on the phone: the ticket is cancelled for good. */
export async function cancelScannedTicket(id: string, errorCode: string): Promise<void> {
  const prisma = await db();
  await prisma.loginTicket.updateMany({ where: { id, status: "scanned" }, data: { status: "cancelled", errorCode, finishedAt: new Date() } });
}

/** Cancels an open ticket; true when this call did. */
export async function cancelOpenTicket(id: string): Promise<boolean> {
  const prisma = await db();
  const { count } = await prisma.loginTicket.updateMany({
    where: { id, status: { in: OPEN } },
    data: { status: "cancelled", confirmTokenHash: null, finishedAt: new Date() },
  });
  return count === 1;
}

/** Marks an open ticket past its expiry expired; true when this call did. */
export async function expireOpenTicket(id: string): Promise<boolean> {
  const prisma = await db();
  const { count } = await prisma.loginTicket.updateMany({
    where: { id, status: { in: OPEN }, expiresAt: { lte: new Date() } },
    data: { status: "expired", finishedAt: new Date() },
  });
  return count === 1;
}

/** A WeChat-verified phone (the mini program's one-tap phone) to bind with the confirm. */
export type ConfirmPhone = { target: string; shownTarget: string; ip: string | null };

export type ConfirmedPerson = { userId: string; phone?: BindOutcome };

/**
 * The right number was picked: resolves the person and confirms the ticket in one transaction,
 * binding a WeChat-verified phone in the same one when given (so no reader sees the ticket
 * confirmed and the phone not yet bound). Undefined when the ticket was cancelled or expired
 * meanwhile; then no user change is kept either.
 */
export async function confirmTicketForPerson(id: string, person: WechatSignIn, phone?: ConfirmPhone): Promise<ConfirmedPerson | undefined> {
  const lost = Symbol("lost");
  try {
    return await transactionWithRetry(async (tx) => {
      const { userId } = await upsertIdentity(tx, person);
      const bound = phone
        ? await bindContactInTransaction(tx, {
            proof: { kind: "wechat", target: phone.target },
            userId,
            field: "phone",
            shownTarget: phone.shownTarget,
            ip: phone.ip,
          })
        : undefined;
      const { count } = await tx.loginTicket.updateMany({
        where: { id, status: "scanned", expiresAt: { gt: new Date() } },
        data: { status: "confirmed", userId, confirmedAt: new Date(), confirmTokenHash: null },
      });
      if (count !== 1) throw lost;
      return bound ? { userId, phone: bound } : { userId };
    });
  } catch (error) {
    if (error === lost) return undefined;
    throw error;
  }
}

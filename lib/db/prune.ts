/**
 * Deletes rows whose purpose has passed: handled push ids, spent codes, expired uses of limits,
 * the dev outbox, and sign-in history beyond the 90 days the account page shows. Sign-in attempts
 * (login states and tickets) and WeChat events are kept `ATTEMPT_RETENTION_DAYS` for the
 * operator console, audit entries `AUDIT_RETENTION_DAYS`; a ticket's drawn code and links are
 * dropped a day after it expires, since only a waiting ticket shows them.
 * Runs hourly in each long-lived server process (instrumentation.ts); on serverless platforms
 * call {@link pruneExpiredRows} from a scheduled job instead.
 */
import "server-only";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";
import { db } from "./client";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export async function pruneExpiredRows(now = Date.now()): Promise<Record<string, number>> {
  const prisma = await db();
  const dayAgo = new Date(now - DAY_MS);
  const { retention } = getEnv();
  const attemptsBefore = new Date(now - retention.attemptDays * DAY_MS);
  const [loginStates, tickets, ticketCodes, wechatEvents, auditEntries, pushes, codes, outbox, signIns, limitHits] = await prisma.$transaction([
    // An attempt is kept for the console, and never before it is a day past its expiry.
    prisma.wechatLoginState.deleteMany({ where: { createdAt: { lt: attemptsBefore }, expiresAt: { lt: dayAgo } } }),
    prisma.loginTicket.deleteMany({ where: { createdAt: { lt: attemptsBefore }, expiresAt: { lt: dayAgo } } }),
    // The mini-program code is a data: URL of tens of KiB; the funnel needs none of these.
    prisma.loginTicket.updateMany({
      where: { expiresAt: { lt: dayAgo }, OR: [{ codeImage: { not: null } }, { qrUrl: { not: null } }, { urlLink: { not: null } }] },
      data: { codeImage: null, qrUrl: null, wechatTicket: null, urlLink: null, confirmTokenHash: null },
    }),
    prisma.wechatEvent.deleteMany({ where: { createdAt: { lt: attemptsBefore } } }),
    prisma.auditLog.deleteMany({ where: { createdAt: { lt: new Date(now - retention.auditDays * DAY_MS) } } }),
    // WeChat retries within a minute; timestamps older than 5 minutes are refused anyway.
    prisma.wechatPushEvent.deleteMany({ where: { receivedAt: { lt: dayAgo } } }),
    // Kept a day past expiry: the daily send caps count them.
    prisma.verificationCode.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
    prisma.outboxMessage.deleteMany({ where: { createdAt: { lt: new Date(now - 7 * DAY_MS) } } }),
    prisma.signInEvent.deleteMany({ where: { createdAt: { lt: new Date(now - 90 * DAY_MS) } } }),
    // Uses of a limit count only until they expire (lib/db/limits.ts).
    prisma.limitHit.deleteMany({ where: { expiresAt: { lte: new Date(now) } } }),
  ]);
  return {
    loginStates: loginStates.count,
    tickets: tickets.count,
    ticketCodes: ticketCodes.count,
    wechatEvents: wechatEvents.count,
    auditEntries: auditEntries.count,
    pushes: pushes.count,
    codes: codes.count,
    outbox: outbox.count,
    signIns: signIns.count,
    limitHits: limitHits.count,
  };
}

/** Prunes now and every hour; the timer never keeps the process alive. */
export function schedulePruning(): void {
  const run = () =>
    pruneExpiredRows()
      .then((counts) => logger.info("db.pruned", counts))
      .catch((error: unknown) => logger.warn("db.prune_failed", { error: error instanceof Error ? error.message : String(error) }));
  void run();
  setInterval(run, HOUR_MS).unref();
}

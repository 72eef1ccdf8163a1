/**
 * Deletes rows whose purpose has passed: used login states and tickets, handled push ids,
 * spent codes, expired uses of limits, the dev outbox, and sign-in history beyond the 90 days the account page shows.
 * Runs hourly in each long-lived server process (instrumentation.ts); on serverless platforms
 * call {@link pruneExpiredRows} from a scheduled job instead.
 */
import "server-only";
import { logger } from "@/lib/logger";
import { db } from "./client";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export async function pruneExpiredRows(now = Date.now()): Promise<Record<string, number>> {
  const prisma = await db();
  const dayAgo = new Date(now - DAY_MS);
  const [loginStates, tickets, pushes, codes, outbox, signIns, limitHits] = await prisma.$transaction([
    prisma.wechatLoginState.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
    prisma.loginTicket.deleteMany({ where: { expiresAt: { lt: dayAgo } } }),
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

/**
 * Counts of login tickets for the metrics scrape: one grouped query, run only when Prometheus
 * asks (every 15 to 60 seconds), never on a sign-in's path.
 */
import "server-only";
import { db } from "./client";

/** Tickets still waiting for a scan and not yet expired, per surface. */
export async function countWaitingTickets(now = new Date()): Promise<Record<string, number>> {
  const prisma = await db();
  const groups = await prisma.loginTicket.groupBy({ by: ["surface"], where: { status: "waiting", expiresAt: { gt: now } }, _count: { _all: true } });
  return Object.fromEntries(groups.map((group) => [group.surface, group._count._all]));
}

/**
 * Security events the account page lists beside the sign-ins: things done to the account by
 * someone else that its owner must be able to see, such as a phone or email proved by another
 * WeChat account and moved there.
 */
import "server-only";
import { db } from "./client";

export const CONTACT_MOVED_AWAY = "contact.moved_away";

const SHOWN_ACTIONS = [CONTACT_MOVED_AWAY];

export type AccountEvent = { id: string; action: string; channel: "phone" | "email" | undefined; target: string | undefined; createdAt: Date };

/** The user's shown events of the last `days` days, newest first. */
export async function listAccountEvents(userId: string, days: number, limit: number): Promise<AccountEvent[]> {
  const prisma = await db();
  const since = new Date(Date.now() - days * 86_400_000);
  const rows = await prisma.auditLog.findMany({
    where: { userId, action: { in: SHOWN_ACTIONS }, createdAt: { gte: since } },
    select: { id: true, action: true, detail: true, createdAt: true },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
  });
  return rows.map((row) => {
    const detail = (row.detail ?? {}) as { channel?: unknown; target?: unknown };
    return {
      id: row.id,
      action: row.action,
      channel: detail.channel === "phone" || detail.channel === "email" ? detail.channel : undefined,
      target: typeof detail.target === "string" ? detail.target : undefined,
      createdAt: row.createdAt,
    };
  });
}

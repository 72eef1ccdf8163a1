/**
 * The development outbox's table (lib/messaging/outbox.ts decides when it may be used).
 */
import "server-only";
import { db } from "./client";
import type { OutboxMessage } from "./generated/client";

export async function insertOutboxMessage(data: { channel: "sms" | "email"; to: string; subject?: string | null; body: string }): Promise<void> {
  const prisma = await db();
  await prisma.outboxMessage.create({ data, select: { id: true } });
}

/** The newest messages first, optionally for one recipient. */
export async function listOutboxMessages(to: string | undefined, take: number): Promise<OutboxMessage[]> {
  const prisma = await db();
  return prisma.outboxMessage.findMany({ where: to === undefined ? {} : { to }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take });
}

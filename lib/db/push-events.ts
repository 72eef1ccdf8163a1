/**
 * The replay cache of the Official Account's pushes: each event id and each signed request id
 * is recorded once (pruned with the rest, lib/db/prune.ts).
 */
import "server-only";
import { db } from "./client";
import { Prisma } from "./generated/client";

/** Records `key` and says whether it is new; a second delivery of the same key is false. */
export async function recordFirstDelivery(key: string): Promise<boolean> {
  const prisma = await db();
  try {
    await prisma.wechatPushEvent.create({ data: { id: key }, select: { id: true } });
    return true;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") return false;
    throw error;
  }
}

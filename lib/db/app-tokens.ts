/**
 * App-level access tokens (`stable_token`), shared by every instance and sealed at rest.
 */
import "server-only";
import { db } from "./client";

export async function findAppToken(appId: string): Promise<{ tokenEnc: string; expiresAt: Date } | null> {
  const prisma = await db();
  return prisma.appAccessToken.findUnique({ where: { appId }, select: { tokenEnc: true, expiresAt: true } });
}

export async function saveAppToken(appId: string, tokenEnc: string, expiresAt: Date): Promise<void> {
  const prisma = await db();
  await prisma.appAccessToken.upsert({ where: { appId }, create: { appId, tokenEnc, expiresAt }, update: { tokenEnc, expiresAt } });
}

export async function deleteAppToken(appId: string): Promise<void> {
  const prisma = await db();
  await prisma.appAccessToken.deleteMany({ where: { appId } });
}

/** Every stored app token's expiry and when it was last fetched (the operator console's health page); never the token. */
export async function listAppTokenTimes(): Promise<{ appId: string; expiresAt: Date; updatedAt: Date }[]> {
  const prisma = await db();
  return prisma.appAccessToken.findMany({ select: { appId: true, expiresAt: true, updatedAt: true }, orderBy: { appId: "asc" } });
}

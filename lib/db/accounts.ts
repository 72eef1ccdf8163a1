import "server-only";
import { db } from "./client";

/** What the account page shows. Tokens never leave the database. */
export async function getAccountOverview(userId: string) {
  const prisma = await db();
  const [user, identities, sessions] = await Promise.all([
    prisma.user.findUnique({ where: { id: userId }, select: { id: true, name: true, image: true, unionid: true, createdAt: true } }),
    prisma.wechatIdentity.findMany({
      where: { userId },
      select: { id: true, appId: true, openid: true, unionid: true, nickname: true, firstSeenAt: true, lastSeenAt: true },
      orderBy: { firstSeenAt: "asc" },
    }),
    prisma.session.findMany({
      where: { userId, expires: { gt: new Date() } },
      select: { id: true, sessionToken: true, createdAt: true, expires: true, userAgent: true, ip: true, method: true },
      orderBy: { createdAt: "desc" },
    }),
  ]);
  return { user, identities, sessions };
}

/** `oW5Ux6ceqP-b0C-72qHEWZYk8Cr8` → `oW5U…8Cr8`: enough to tell identities apart, not to use one. */
export function maskOpenid(openid: string): string {
  return openid.length <= 8 ? "…" : `${openid.slice(0, 4)}…${openid.slice(-4)}`;
}

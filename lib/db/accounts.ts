/**
 * The account page's data: what it shows (identities, sessions, sign-in history) and what it
 * lets the user change (unlink a WeChat identity, end sessions). Every function takes the
 * signed-in user's id and matches rows on it, so a forged id of another user's row changes nothing.
 */
import "server-only";
import { db } from "./client";
import { SESSION_MAX_AGE_SECONDS } from "./sessions";
import type { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

export const SIGN_IN_HISTORY_DAYS = 90;
export const SIGN_IN_HISTORY_LIMIT = 50;

/**
 * What the account page shows. Session tokens never leave the database: the browser's own
 * token is matched here and comes back as `isCurrent`.
 */
export async function getAccountOverview(userId: string, currentSessionToken?: string) {
  const prisma = await db();
  const [user, identities, sessions, accountCount] = await Promise.all([
    prisma.user.findUnique({
      where: { id: userId },
      select: { id: true, name: true, image: true, unionid: true, phone: true, email: true, role: true, createdAt: true },
    }),
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
    prisma.account.count({ where: { userId } }),
  ]);
  return {
    user,
    identities,
    sessions: sessions.map(({ sessionToken, ...row }) => ({
      ...row,
      isCurrent: currentSessionToken !== undefined && sessionToken === currentSessionToken,
      lastActiveAt: estimateLastActive(row),
    })),
    /** Whether an identity may be unlinked: some other way to sign in would remain. */
    canUnlink: identities.length + accountCount > 1,
  };
}

/**
 * When a session was last used, to within a day. Session has no lastSeen column, but Auth.js
 * slides `expires` to now + maxAge when a session is used (at most once per `updateAge`, a day
 * by default), so expires − maxAge is the last renewal. A session opened with a shorter
 * lifetime would come out before its own creation, hence the floor.
 * @see https://authjs.dev/reference/core#updateage
 */
export function estimateLastActive(session: { createdAt: Date; expires: Date }): Date {
  const renewedAt = session.expires.getTime() - SESSION_MAX_AGE_SECONDS * 1000;
  return new Date(Math.max(renewedAt, session.createdAt.getTime()));
}

/** The user's sign-ins of the last `days` days, newest first. */
export async function listSignIns(userId: string, days: number, limit = SIGN_IN_HISTORY_LIMIT) {
  const prisma = await db();
  const since = new Date(Date.now() - days * 86_400_000);
  return prisma.signInEvent.findMany({
    where: { userId, createdAt: { gte: since } },
    select: { id: true, method: true, ip: true, userAgent: true, createdAt: true },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
  });
}

/** WeChat identities plus Auth.js accounts: every way the user can still sign in. */
async function countSignInMethods(tx: Tx, userId: string): Promise<number> {
  const [identities, accounts] = await Promise.all([tx.wechatIdentity.count({ where: { userId } }), tx.account.count({ where: { userId } })]);
  return identities + accounts;
}

export type UnlinkResult = { ok: true; appId: string } | { ok: false; error: "not_found" | "last_method" };

/**
 * Deletes one of the user's WeChat identities, unless it is their last way to sign in, and
 * writes an audit entry (`actorId`: the operator, when one unlinks it from /admin). The check and the delete share a transaction that locks the user
 * row, so two unlinks racing each other cannot both see "another method remains".
 */
export async function unlinkIdentity(userId: string, identityId: string, options: { ip?: string | null; actorId?: string | null } = {}): Promise<UnlinkResult> {
  const prisma = await db();
  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "User" WHERE "id" = ${userId} FOR UPDATE`;
    if (locked.length === 0) return { ok: false, error: "not_found" };
    const identity = await tx.wechatIdentity.findFirst({ where: { id: identityId, userId }, select: { id: true, appId: true, openid: true } });
    if (!identity) return { ok: false, error: "not_found" };
    if ((await countSignInMethods(tx, userId)) <= 1) return { ok: false, error: "last_method" };
    await tx.wechatIdentity.delete({ where: { id: identity.id } });
    await repointUnionid(tx, userId);
    await tx.auditLog.create({
      data: {
        userId,
        actorId: options.actorId ?? null,
        action: "identity.unlink",
        ip: options.ip ?? null,
        detail: { appId: identity.appId, openid: maskOpenid(identity.openid) },
      },
    });
    return { ok: true, appId: identity.appId };
  });
}

/**
 * Keeps `User.unionid` naming a WeChat account the user still holds. Users are found by
 * unionid at sign-in, so a unionid left behind by the unlinked identity would re-attach that
 * WeChat account to this user the next time it signs in, undoing the unlink. (A user holds
 * identities of two unionids after a merge.)
 */
async function repointUnionid(tx: Tx, userId: string): Promise<void> {
  const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { unionid: true } });
  if (!user.unionid) return;
  if (await tx.wechatIdentity.count({ where: { userId, unionid: user.unionid } })) return;
  const next = await tx.wechatIdentity.findFirst({
    where: { userId, unionid: { not: null } },
    orderBy: { firstSeenAt: "asc" },
    select: { unionid: true },
  });
  const isTaken = next?.unionid ? (await tx.user.count({ where: { unionid: next.unionid } })) > 0 : false;
  await tx.user.update({ where: { id: userId }, data: { unionid: next?.unionid && !isTaken ? next.unionid : null } });
}

/** The id of the user's session behind `sessionToken` (the browser's cookie), if it is theirs. */
export async function findSessionIdByToken(userId: string, sessionToken: string): Promise<string | undefined> {
  const prisma = await db();
  const session = await prisma.session.findFirst({ where: { sessionToken, userId }, select: { id: true } });
  return session?.id;
}

/** Ends one of the user's sessions; false when no such session of theirs exists. */
export async function deleteSession(userId: string, sessionId: string): Promise<boolean> {
  const prisma = await db();
  const { count } = await prisma.session.deleteMany({ where: { id: sessionId, userId } });
  return count > 0;
}

/** Ends every session of the user, the current one included; returns how many there were. */
export async function deleteAllSessions(userId: string): Promise<number> {
  const prisma = await db();
  const { count } = await prisma.session.deleteMany({ where: { userId } });
  return count;
}

/** `oW5Ux6ceqP-b0C-72qHEWZYk8Cr8` → `oW5U…8Cr8`: enough to tell identities apart, not to use one. */
export function maskOpenid(openid: string): string {
  return openid.length <= 8 ? "…" : `${openid.slice(0, 4)}…${openid.slice(-4)}`;
}

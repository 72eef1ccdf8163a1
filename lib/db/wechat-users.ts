/**
 * Turning a WeChat identity into a user and a session, in one transaction.
 *
 * Users are keyed on unionid when WeChat gives one, and every (appid, openid) pair is kept as
 * its own identity row. Without a unionid the user is reachable only through that one
 * identity: there is no shared, empty or "undefined" key for two people to collide on.
 */
import "server-only";
import { randomToken, sealSecret } from "@/lib/crypto";
import { logger } from "@/lib/logger";
import { db } from "./client";
import { Prisma } from "./generated/client";

export type WechatSignIn = {
  appId: string;
  openid: string;
  unionid?: string | undefined;
  nickname?: string | undefined;
  avatarUrl?: string | undefined;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scope: string;
};

export type SessionMeta = { userAgent: string | null; ip: string | null; method: string; maxAgeSeconds: number };

export type SignInResult = { userId: string; sessionToken: string; expires: Date; createdUser: boolean };

type Tx = Prisma.TransactionClient;

async function upsertIdentity(tx: Tx, input: WechatSignIn): Promise<{ userId: string; createdUser: boolean }> {
  const now = new Date();
  const profile = {
    nickname: input.nickname || null,
    avatarUrl: input.avatarUrl || null,
    accessTokenEnc: sealSecret(input.accessToken),
    refreshTokenEnc: sealSecret(input.refreshToken),
    tokenExpiresAt: new Date(now.getTime() + input.expiresIn * 1000),
    scope: input.scope,
    lastSeenAt: now,
  };
  const userProfile = { ...(input.nickname ? { name: input.nickname } : {}), ...(input.avatarUrl ? { image: input.avatarUrl } : {}) };

  const identity = await tx.wechatIdentity.findUnique({ where: { appId_openid: { appId: input.appId, openid: input.openid } } });
  if (identity) {
    const learnedUnionid = input.unionid && !identity.unionid ? input.unionid : undefined;
    await tx.wechatIdentity.update({ where: { id: identity.id }, data: { ...profile, ...(learnedUnionid ? { unionid: learnedUnionid } : {}) } });
    let userUnionid: { unionid: string } | Record<string, never> = {};
    if (learnedUnionid) {
      const holder = await tx.user.findUnique({ where: { unionid: learnedUnionid }, select: { id: true } });
      if (!holder) userUnionid = { unionid: learnedUnionid };
      else if (holder.id !== identity.userId) logger.warn("wechat.identity.unionid_held_by_other_user", { userId: identity.userId, otherUserId: holder.id });
    }
    await tx.user.update({ where: { id: identity.userId }, data: { ...userProfile, ...userUnionid } });
    return { userId: identity.userId, createdUser: false };
  }

  if (input.unionid) {
    const user = await tx.user.findUnique({ where: { unionid: input.unionid }, select: { id: true } });
    if (user) {
      await tx.wechatIdentity.create({ data: { ...profile, appId: input.appId, openid: input.openid, unionid: input.unionid, userId: user.id } });
      await tx.user.update({ where: { id: user.id }, data: userProfile });
      return { userId: user.id, createdUser: false };
    }
  }

  const user = await tx.user.create({
    data: {
      name: input.nickname || null,
      image: input.avatarUrl || null,
      unionid: input.unionid ?? null,
      wechatIdentities: { create: { ...profile, appId: input.appId, openid: input.openid, unionid: input.unionid ?? null } },
    },
    select: { id: true },
  });
  return { userId: user.id, createdUser: true };
}

/**
 * Finds or creates the user for a WeChat identity, stores the identity's tokens, opens an
 * Auth.js database session and runs `alsoInTransaction` (e.g. marking the state used), all or
 * nothing. Two first sign-ins of one person racing each other meet a unique constraint; the
 * loser retries once and joins the winner's user.
 */
export async function signInWithWechat(
  input: WechatSignIn,
  meta: SessionMeta,
  alsoInTransaction?: (tx: Tx, userId: string) => Promise<void>,
): Promise<SignInResult> {
  const prisma = await db();
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(async (tx) => {
        const { userId, createdUser } = await upsertIdentity(tx, input);
        const sessionToken = randomToken(32);
        const expires = new Date(Date.now() + meta.maxAgeSeconds * 1000);
        await tx.session.create({ data: { sessionToken, userId, expires, userAgent: meta.userAgent, ip: meta.ip, method: meta.method } });
        await alsoInTransaction?.(tx, userId);
        return { userId, sessionToken, expires, createdUser };
      });
    } catch (error) {
      const isUniqueRace = error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
      if (!isUniqueRace || attempt >= 2) throw error;
    }
  }
}

/** Opens another session for a user (a duplicate callback whose first answer was lost). */
export async function createSessionForUser(userId: string, meta: SessionMeta): Promise<{ sessionToken: string; expires: Date }> {
  const prisma = await db();
  const sessionToken = randomToken(32);
  const expires = new Date(Date.now() + meta.maxAgeSeconds * 1000);
  await prisma.session.create({ data: { sessionToken, userId, expires, userAgent: meta.userAgent, ip: meta.ip, method: meta.method } });
  return { sessionToken, expires };
}

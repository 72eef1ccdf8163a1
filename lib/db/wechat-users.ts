/**
 * Turning a WeChat identity into a user and a session, in one transaction.
 *
 * Users are keyed on unionid when WeChat gives one, and every (appid, openid) pair is kept as
 * its own identity row. Without a unionid the user is reachable only through that one
 * identity: there is no shared, empty or "undefined" key for two people to collide on.
 */
import "server-only";
import { randomToken, sealSecret } from "@/lib/crypto";
import { db } from "./client";
import { mergeUsers } from "./merge-users";
import { Prisma } from "./generated/client";

export type WechatSignIn = {
  appId: string;
  openid: string;
  unionid?: string | undefined;
  nickname?: string | undefined;
  avatarUrl?: string | undefined;
  /** The user's OAuth tokens; absent for follow-to-login, where WeChat issues none. */
  tokens?: { accessToken: string; refreshToken: string; expiresIn: number; scope: string } | undefined;
};

export type SessionMeta = {
  userAgent: string | null;
  ip: string | null;
  method: string;
  maxAgeSeconds: number;
  /** The session cookie this browser sent, if any: a new sign-in ends it. */
  previousSessionToken?: string | undefined;
};

export type SignInResult = { userId: string; sessionToken: string; expires: Date; createdUser: boolean };

type Tx = Prisma.TransactionClient;

async function upsertIdentity(tx: Tx, input: WechatSignIn): Promise<{ userId: string; createdUser: boolean }> {
  const now = new Date();
  const tokens = input.tokens;
  const profile = {
    ...(input.nickname ? { nickname: input.nickname } : {}),
    ...(input.avatarUrl ? { avatarUrl: input.avatarUrl } : {}),
    ...(tokens
      ? {
          accessTokenEnc: sealSecret(tokens.accessToken),
          refreshTokenEnc: sealSecret(tokens.refreshToken),
          tokenExpiresAt: new Date(now.getTime() + tokens.expiresIn * 1000),
          scope: tokens.scope,
        }
      : {}),
    lastSeenAt: now,
  };
  const userProfile = { ...(input.nickname ? { name: input.nickname } : {}), ...(input.avatarUrl ? { image: input.avatarUrl } : {}) };

  const identity = await tx.wechatIdentity.findUnique({ where: { appId_openid: { appId: input.appId, openid: input.openid } } });
  if (identity) {
    const learnedUnionid = input.unionid && !identity.unionid ? input.unionid : undefined;
    await tx.wechatIdentity.update({ where: { id: identity.id }, data: { ...profile, ...(learnedUnionid ? { unionid: learnedUnionid } : {}) } });
    if (learnedUnionid) {
      const holder = await tx.user.findUnique({ where: { unionid: learnedUnionid }, select: { id: true } });
      if (holder && holder.id !== identity.userId) {
        // WeChat itself says this openid and the holder's identities are one person: one account.
        await mergeUsers(tx, identity.userId, holder.id, { action: "merge.unionid" });
        await tx.user.update({ where: { id: holder.id }, data: userProfile });
        return { userId: holder.id, createdUser: false };
      }
      if (!holder) {
        const owner = await tx.user.findUniqueOrThrow({ where: { id: identity.userId }, select: { unionid: true } });
        if (owner.unionid === null) Object.assign(userProfile, { unionid: learnedUnionid });
      }
    }
    await tx.user.update({ where: { id: identity.userId }, data: userProfile });
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

/** Runs `work` in a transaction, once more if it lost a unique-constraint race to a twin. */
async function inTransactionWithRetry<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
  const prisma = await db();
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work);
    } catch (error) {
      const isUniqueRace = error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
      if (!isUniqueRace || attempt >= 2) throw error;
    }
  }
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
  return inTransactionWithRetry(async (tx) => {
    const { userId, createdUser } = await upsertIdentity(tx, input);
    const { sessionToken, expires } = await createSessionForUser(userId, meta, tx);
    await alsoInTransaction?.(tx, userId);
    return { userId, sessionToken, expires, createdUser };
  });
}

/** Finds or creates the user for a WeChat identity without opening a session (follow-to-login). */
export async function resolveWechatUser(
  input: WechatSignIn,
  alsoInTransaction?: (tx: Tx, userId: string) => Promise<void>,
): Promise<{ userId: string; createdUser: boolean }> {
  return inTransactionWithRetry(async (tx) => {
    const result = await upsertIdentity(tx, input);
    await alsoInTransaction?.(tx, result.userId);
    return result;
  });
}

/** Looks up the user of a known WeChat identity (silent `snsapi_base` sign-in). */
export async function findUserIdByIdentity(appId: string, openid: string): Promise<string | undefined> {
  const prisma = await db();
  const identity = await prisma.wechatIdentity.findUnique({ where: { appId_openid: { appId, openid } }, select: { userId: true } });
  return identity?.userId;
}

/**
 * Opens an Auth.js database session for a user and records the sign-in, in `tx` when given.
 * The browser's previous session row goes in the same transaction: a browser holds one session,
 * so a cookie overwritten by this sign-in cannot live on in a copy taken earlier.
 */
export async function createSessionForUser(userId: string, meta: SessionMeta, tx?: Tx): Promise<{ sessionToken: string; expires: Date }> {
  if (!tx) return (await db()).$transaction((inner) => createSessionForUser(userId, meta, inner));
  const sessionToken = randomToken(32);
  const expires = new Date(Date.now() + meta.maxAgeSeconds * 1000);
  const userAgent = meta.userAgent?.slice(0, 512) ?? null;
  if (meta.previousSessionToken) await tx.session.deleteMany({ where: { sessionToken: meta.previousSessionToken } });
  await tx.session.create({ data: { sessionToken, userId, expires, userAgent, ip: meta.ip, method: meta.method } });
  await tx.signInEvent.create({ data: { userId, method: meta.method, ip: meta.ip, userAgent } });
  return { sessionToken, expires };
}

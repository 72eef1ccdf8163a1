/**
 * People: users and their WeChat identities.
 *
 * Users are keyed on unionid when WeChat gives one, and every (appid, openid) pair is kept as
 * its own identity row. Without a unionid the user is reachable only through that one
 * identity: there is no shared, empty or "undefined" key for two people to collide on.
 */
import "server-only";
import { sealSecret } from "@/lib/crypto";
import { db } from "./client";
import { mergeUsers } from "./merge-users";
import type { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

/** A WeChat identity as a sign-in surface learned it. */
export type WechatSignIn = {
  appId: string;
  openid: string;
  unionid?: string | undefined;
  nickname?: string | undefined;
  avatarUrl?: string | undefined;
  /** The user's OAuth tokens; absent for follow-to-login, where WeChat issues none. */
  tokens?: { accessToken: string; refreshToken: string; expiresIn: number; scope: string } | undefined;
};

export type ResolvedPerson = { userId: string; createdUser: boolean };

/**
 * Finds or creates the user of a WeChat identity inside `tx` and refreshes what WeChat told us
 * (profile, tokens, a unionid learned later). A unionid that shows up later and belongs to
 * another user joins the two: WeChat itself says they are one person.
 */
export async function upsertIdentity(tx: Tx, input: WechatSignIn): Promise<ResolvedPerson> {
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
  const userProfile: { name?: string; image?: string; unionid?: string } = {
    ...(input.nickname ? { name: input.nickname } : {}),
    ...(input.avatarUrl ? { image: input.avatarUrl } : {}),
  };

  const identity = await tx.wechatIdentity.findUnique({
    where: { appId_openid: { appId: input.appId, openid: input.openid } },
    select: { id: true, userId: true, unionid: true, user: { select: { name: true, image: true, unionid: true } } },
  });
  if (identity) {
    const learnedUnionid = input.unionid && !identity.unionid ? input.unionid : undefined;
    await tx.wechatIdentity.update({ where: { id: identity.id }, data: { ...profile, ...(learnedUnionid ? { unionid: learnedUnionid } : {}) } });
    if (learnedUnionid) {
      const holder = await tx.user.findUnique({ where: { unionid: learnedUnionid }, select: { id: true } });
      if (holder && holder.id !== identity.userId) {
        await mergeUsers(tx, identity.userId, holder.id, { action: "merge.unionid" });
        await tx.user.update({ where: { id: holder.id }, data: userProfile });
        return { userId: holder.id, createdUser: false };
      }
      if (!holder && identity.user.unionid === null) userProfile.unionid = learnedUnionid;
    }
    // A returning person whose profile did not change costs no user write.
    const changed = (Object.keys(userProfile) as (keyof typeof userProfile)[]).some((key) => identity.user[key] !== userProfile[key]);
    if (changed) await tx.user.update({ where: { id: identity.userId }, data: userProfile });
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

/** The user of a known WeChat identity (the silent `snsapi_base` sign-in), if any. */
export async function findUserIdByIdentity(appId: string, openid: string): Promise<string | undefined> {
  const prisma = await db();
  const identity = await prisma.wechatIdentity.findUnique({ where: { appId_openid: { appId, openid } }, select: { userId: true } });
  return identity?.userId;
}

/** The user a WeChat sign-in would resolve to, without writing anything: the identity, else the unionid's user. */
export async function findUserIdOfPerson(person: WechatSignIn): Promise<string | undefined> {
  const prisma = await db();
  const identity = await prisma.wechatIdentity.findUnique({
    where: { appId_openid: { appId: person.appId, openid: person.openid } },
    select: { userId: true },
  });
  if (identity || !person.unionid) return identity?.userId;
  return (await prisma.user.findUnique({ where: { unionid: person.unionid }, select: { id: true } }))?.id;
}

/** What the landing rule needs to know: the bound contacts and how often the user signed in. */
export type ContactFacts = { phone: string | null; email: string | null; signIns: number };

export async function getContactFacts(userId: string, tx?: Tx): Promise<ContactFacts | undefined> {
  const client = tx ?? (await db());
  const user = await client.user.findUnique({ where: { id: userId }, select: { phone: true, email: true, _count: { select: { signIns: true } } } });
  return user ? { phone: user.phone, email: user.email, signIns: user._count.signIns } : undefined;
}

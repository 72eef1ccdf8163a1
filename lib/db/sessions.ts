/**
 * Auth.js database sessions and the sign-in history written beside each one.
 */
import "server-only";
import { randomToken } from "@/lib/crypto";
import { db } from "./client";
import type { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

/** Auth.js database sessions live 30 days. */
export const SESSION_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

export type SessionMeta = {
  userAgent: string | null;
  ip: string | null;
  /** How the person signed in (`wechat:website`, `wechat:in-app`, `wechat:follow`), for the history. */
  method: string;
  maxAgeSeconds: number;
  /** The session cookie this browser sent, if any: a new sign-in ends it. */
  previousSessionToken?: string | undefined;
};

export type OpenedSession = { sessionToken: string; expires: Date };

/**
 * Opens an Auth.js database session for a user and records the sign-in, in `tx` when given.
 * The browser's previous session row goes in the same transaction: a browser holds one session,
 * so a cookie overwritten by this sign-in cannot live on in a copy taken earlier.
 */
export async function createSessionForUser(userId: string, meta: SessionMeta, tx?: Tx): Promise<OpenedSession> {
  if (!tx) return (await db()).$transaction((inner) => createSessionForUser(userId, meta, inner));
  const sessionToken = randomToken(32);
  const expires = new Date(Date.now() + meta.maxAgeSeconds * 1000);
  const userAgent = meta.userAgent?.slice(0, 512) ?? null;
  if (meta.previousSessionToken) await tx.session.deleteMany({ where: { sessionToken: meta.previousSessionToken } });
  await tx.session.create({ data: { sessionToken, userId, expires, userAgent, ip: meta.ip, method: meta.method } });
  await tx.signInEvent.create({ data: { userId, method: meta.method, ip: meta.ip, userAgent } });
  return { sessionToken, expires };
}

/**
 * Server-minted OAuth `state` values. Each is single use, expires, and is bound to the browser
 * that asked for it through the hash of an HttpOnly cookie. Only hashes are stored.
 */
import "server-only";
import { randomAlphanumeric, sha256 } from "@/lib/crypto";
import { db } from "./client";
import type { WechatLoginState } from "./generated/client";

export type LoginMode = "embedded" | "redirect" | "oa_base" | "oa_userinfo";

/** How a claim went: `claimed` means this call, and only this call, may spend the code. */
export type StateClaim =
  | { kind: "claimed"; row: WechatLoginState }
  | { kind: "already_used"; row: WechatLoginState }
  | { kind: "unknown" }
  | { kind: "expired"; row: WechatLoginState }
  | { kind: "wrong_browser"; row: WechatLoginState };

export async function createLoginState(input: {
  appId: string;
  mode: LoginMode;
  returnTo: string;
  bindingHash: string;
  ttlSeconds: number;
}): Promise<{ state: string; expiresAt: Date }> {
  const prisma = await db();
  // 32 alphanumerics ≈ 190 bits; the alphabet also satisfies the Official Account's [A-Za-z0-9] rule.
  const state = randomAlphanumeric(32);
  const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000);
  await prisma.wechatLoginState.create({
    data: { id: sha256(state), bindingHash: input.bindingHash, appId: input.appId, mode: input.mode, returnTo: input.returnTo, expiresAt },
  });
  return { state, expiresAt };
}

/**
 * Checks a returned state and, if it is fresh, marks it used in the same statement, so two
 * concurrent callbacks cannot both spend it. The browser check comes first: a state replayed
 * from another browser learns nothing and changes nothing.
 */
export async function claimLoginState(state: string, bindingHash: string | undefined, codeHash: string | null): Promise<StateClaim> {
  const prisma = await db();
  const id = sha256(state);
  const row = await prisma.wechatLoginState.findUnique({ where: { id } });
  if (!row) return { kind: "unknown" };
  if (!bindingHash || bindingHash !== row.bindingHash) return { kind: "wrong_browser", row };
  if (row.consumedAt) return { kind: "already_used", row };
  if (row.expiresAt.getTime() <= Date.now()) return { kind: "expired", row };
  const { count } = await prisma.wechatLoginState.updateMany({
    where: { id, consumedAt: null },
    data: { consumedAt: new Date(), codeHash },
  });
  if (count === 1) return { kind: "claimed", row: { ...row, codeHash } };
  const latest = await prisma.wechatLoginState.findUniqueOrThrow({ where: { id } });
  return { kind: "already_used", row: latest };
}

export async function recordLoginOutcome(id: string, outcome: string): Promise<void> {
  const prisma = await db();
  await prisma.wechatLoginState.update({ where: { id }, data: { outcome } });
}

export async function findLoginState(id: string): Promise<WechatLoginState | null> {
  const prisma = await db();
  return prisma.wechatLoginState.findUnique({ where: { id } });
}

/** Marks a user's finished logins as closed, so their callbacks can no longer open sessions. */
export async function closeLoginStatesOfUser(userId: string): Promise<void> {
  const prisma = await db();
  await prisma.wechatLoginState.updateMany({ where: { userId, outcome: "success" }, data: { outcome: "signed_out" } });
}

/**
 * The operator console's own data: who holds the operator role, the audit entries of what an
 * operator did (refused and failed attempts included), looking people up, and ending another
 * person's sessions. Every write names the operator as `actorId`; the person acted on is `userId`.
 */
import "server-only";
import { db } from "./client";
import { getAccountOverview } from "./accounts";
import type { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

export const OPERATOR_ROLE = "operator";

/** What an operator did, as the audit log names it. */
export type OperatorAction =
  "operator.grant" | "operator.revoke" | "admin.session.end" | "admin.sessions.end_all" | "admin.identity.unlink" | "admin.rid.explain" | "admin.refused";

export type OperatorAuditEntry = {
  /** The operator (or, for `admin.refused`, the signed-in user who was refused); null from the command line. */
  actorId: string | null;
  action: OperatorAction;
  /** The person acted on, if any. */
  userId?: string | null | undefined;
  ip?: string | null | undefined;
  /** `ok`, or why it did not happen (`not_found`, `last_method`, `error`, `not_operator`, …). */
  outcome: string;
  detail?: Record<string, string | number | boolean | null> | undefined;
};

/** Writes one audit entry of an operator action, in `tx` when given. */
export async function recordOperatorAction(entry: OperatorAuditEntry, tx?: Tx): Promise<void> {
  const client = tx ?? (await db());
  await client.auditLog.create({
    data: {
      actorId: entry.actorId,
      userId: entry.userId ?? null,
      action: entry.action,
      ip: entry.ip ?? null,
      detail: { outcome: entry.outcome, ...entry.detail },
    },
  });
}

export async function isOperator(userId: string): Promise<boolean> {
  const prisma = await db();
  const user = await prisma.user.findUnique({ where: { id: userId }, select: { role: true } });
  return user?.role === OPERATOR_ROLE;
}

/** How the command line names a person: a normalized phone (E.164), an email, or a user id. */
export type PersonKey = { phone: string } | { email: string } | { id: string };

export type RoleChange = { ok: true; userId: string; changed: boolean } | { ok: false; error: "not_found" };

/**
 * Grants (or revokes) the operator role and writes the audit entry in the same transaction.
 * `actorId` is null when the change comes from the command line (`npm run admin:grant`).
 */
export async function setOperatorRole(key: PersonKey, grant: boolean, options: { actorId?: string | null } = {}): Promise<RoleChange> {
  const prisma = await db();
  const action = grant ? "operator.grant" : "operator.revoke";
  const actorId = options.actorId ?? null;
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: key, select: { id: true, role: true } });
    if (!user) {
      await recordOperatorAction({ actorId, action, outcome: "not_found", detail: { by: Object.keys(key)[0] ?? null } }, tx);
      return { ok: false, error: "not_found" };
    }
    const role = grant ? OPERATOR_ROLE : null;
    const changed = user.role !== role;
    if (changed) await tx.user.update({ where: { id: user.id }, data: { role } });
    await recordOperatorAction({ actorId, action, userId: user.id, outcome: changed ? "ok" : "unchanged" }, tx);
    return { ok: true, userId: user.id, changed };
  });
}

export const PEOPLE_SEARCH_LIMIT = 20;

export type PersonMatch = {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  unionid: string | null;
  role: string | null;
  createdAt: Date;
};

/**
 * People matching `query`: exactly by phone (`phone`, already normalized by the caller), email,
 * openid, unionid or user id, or by a part of a nickname (the account's or any identity's).
 */
export async function searchPeople(query: string, options: { phone?: string | undefined } = {}): Promise<PersonMatch[]> {
  const prisma = await db();
  const text = query.trim();
  if (!text) return [];
  const or: Prisma.UserWhereInput[] = [
    { id: text },
    { email: text.toLowerCase() },
    { unionid: text },
    { wechatIdentities: { some: { OR: [{ openid: text }, { unionid: text }, { nickname: { contains: text, mode: "insensitive" } }] } } },
    { name: { contains: text, mode: "insensitive" } },
  ];
  if (options.phone) or.push({ phone: options.phone });
  return prisma.user.findMany({
    where: { OR: or },
    select: { id: true, name: true, phone: true, email: true, unionid: true, role: true, createdAt: true },
    orderBy: { createdAt: "desc" },
    take: PEOPLE_SEARCH_LIMIT,
  });
}

export const PERSON_HISTORY_LIMIT = 50;

/**
 * Everything the person page shows: the account page's overview (identities, sessions, the unlink
 * rule; session tokens never leave the database) plus the sign-in history and the audit trail.
 */
export async function getPersonOverview(userId: string) {
  const prisma = await db();
  const [account, signIns, audit] = await Promise.all([
    getAccountOverview(userId),
    prisma.signInEvent.findMany({
      where: { userId },
      select: { id: true, method: true, ip: true, userAgent: true, createdAt: true },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: PERSON_HISTORY_LIMIT,
    }),
    prisma.auditLog.findMany({
      where: { OR: [{ userId }, { actorId: userId }] },
      select: { id: true, userId: true, actorId: true, action: true, detail: true, ip: true, createdAt: true },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: PERSON_HISTORY_LIMIT,
    }),
  ]);
  return { ...account, signIns, audit };
}

/** Ends one session of `userId` (never another person's, whatever id is sent); false when there is none. */
export async function endSessionOf(userId: string, sessionId: string): Promise<boolean> {
  const prisma = await db();
  const { count } = await prisma.session.deleteMany({ where: { id: sessionId, userId } });
  return count > 0;
}

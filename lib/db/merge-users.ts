/**
 * Folding one user into another, inside the caller's transaction. Used only when WeChat itself
 * says two identities are one person (a unionid that shows up later). A proved phone or email
 * never merges: phone numbers are recycled and a mailbox can be read by others, so a proof moves
 * just that contact (lib/contact-proof/codes.ts) and leaves every account's WeChat identities alone.
 */
import "server-only";
import { logger } from "@/lib/logger";
import type { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

/**
 * Moves everything of `fromUserId` (WeChat identities, other sign-in methods, sessions, sign-in
 * history, a phone or email the survivor lacks) onto `intoUserId`, deletes the emptied user and
 * writes an audit entry. Identities listed in `dropIdentityIds` are deleted first, by the
 * caller's explicit choice, and named in the audit entry.
 */
export async function mergeUsers(
  tx: Tx,
  fromUserId: string,
  intoUserId: string,
  options: { action: string; dropIdentityIds?: string[]; ip?: string | null },
): Promise<void> {
  const [from, into] = await Promise.all([tx.user.findUniqueOrThrow({ where: { id: fromUserId } }), tx.user.findUniqueOrThrow({ where: { id: intoUserId } })]);
  const dropped = options.dropIdentityIds?.length
    ? await tx.wechatIdentity.findMany({
        where: { id: { in: options.dropIdentityIds }, userId: { in: [fromUserId, intoUserId] } },
        select: { id: true, appId: true, openid: true, userId: true },
      })
    : [];
  if (dropped.length) await tx.wechatIdentity.deleteMany({ where: { id: { in: dropped.map((identity) => identity.id) } } });
  await tx.wechatIdentity.updateMany({ where: { userId: fromUserId }, data: { userId: intoUserId } });
  await tx.account.updateMany({ where: { userId: fromUserId }, data: { userId: intoUserId } });
  await tx.session.updateMany({ where: { userId: fromUserId }, data: { userId: intoUserId } });
  await tx.signInEvent.updateMany({ where: { userId: fromUserId }, data: { userId: intoUserId } });
  await tx.verificationCode.deleteMany({ where: { userId: fromUserId } });
  // Unique columns: clear them on the loser before the survivor takes them.
  await tx.user.update({ where: { id: fromUserId }, data: { phone: null, email: null, unionid: null } });
  const inherit: Prisma.UserUpdateInput = {
    ...(!into.phone && from.phone ? { phone: from.phone, phoneVerified: from.phoneVerified } : {}),
    ...(!into.email && from.email ? { email: from.email, emailVerified: from.emailVerified } : {}),
    ...(!into.unionid && from.unionid ? { unionid: from.unionid } : {}),
    ...(!into.name && from.name ? { name: from.name } : {}),
    ...(!into.image && from.image ? { image: from.image } : {}),
  };
  if (Object.keys(inherit).length) await tx.user.update({ where: { id: intoUserId }, data: inherit });
  await tx.user.delete({ where: { id: fromUserId } });
  await tx.auditLog.create({
    data: {
      userId: intoUserId,
      action: options.action,
      ip: options.ip ?? null,
      detail: { fromUserId, droppedIdentities: dropped.map(({ appId, openid }) => ({ appId, openid })) },
    },
  });
  logger.info("users.merged", { action: options.action, fromUserId, intoUserId, droppedIdentities: dropped.length });
}

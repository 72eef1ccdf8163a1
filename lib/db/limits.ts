/**
 * Every abuse limit of the product, kept in the database so that it holds across instances:
 * SMS budgets per account, per address, per target and for the whole site, login attempts per
 * browser and per address, open live-status streams. A limit is "at most `max` uses of `bucket`
 * by `key` that are still alive"; a use stays alive for `ttlSeconds` (a sliding window) or until
 * it is released (a lease, such as an open stream).
 */
import "server-only";
import { randomToken } from "@/lib/crypto";
import { db } from "./client";
import { Prisma } from "./generated/client";

type Tx = Prisma.TransactionClient;

export type Limit = {
  /** What is limited, e.g. `sms.ip`; also the name shown in logs and metrics. */
  bucket: string;
  /** Who is limited: a user id, a trusted IP, a browser hash, `global`. */
  key: string;
  max: number;
  ttlSeconds: number;
};

export type LimitResult = { ok: true; ids: string[] } | { ok: false; bucket: string; retryAfterSeconds: number };

/**
 * Takes one use of every limit in `limits`, or none of them. Each (bucket, key) is serialized
 * with a transaction-scoped advisory lock, taken in a fixed order so that two callers never
 * deadlock, so parallel requests cannot both slip under a limit.
 */
export async function takeLimits(limits: Limit[], tx?: Tx): Promise<LimitResult> {
  if (limits.length === 0) return { ok: true, ids: [] };
  if (!tx) return (await db()).$transaction((inner) => takeLimits(limits, inner));
  const sorted = [...limits].sort((a, b) => `${a.bucket}:${a.key}`.localeCompare(`${b.bucket}:${b.key}`));
  const now = new Date();
  const wanted = sorted.map((limit) => ({ ...limit, id: randomToken(16), expiresAt: new Date(now.getTime() + limit.ttlSeconds * 1000) }));
  // Every sign-in start takes two limits, so this is two plain statements rather than a model
  // query per limit. The locks come first, in the sorted order; the count is a later statement,
  // so it sees every use committed by whoever held a lock before us.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(k)) FROM (VALUES ${Prisma.join(wanted.map((limit) => Prisma.sql`(${`limit:${limit.bucket}:${limit.key}`}::text)`))}) AS t(k)`;
  const rows = await tx.$queryRaw<{ bucket: string; key: string; alive: number; taken: boolean }[]>`
    WITH wanted(bucket, key, max, id, expires_at) AS (
      VALUES ${Prisma.join(wanted.map((limit) => Prisma.sql`(${limit.bucket}::text, ${limit.key}::text, ${limit.max}::int, ${limit.id}::text, ${limit.expiresAt}::timestamp(3))`))}
    ),
    counted AS (
      SELECT w.*, (SELECT count(*) FROM "LimitHit" h WHERE h."bucket" = w.bucket AND h."key" = w.key AND h."expiresAt" > ${now})::int AS alive FROM wanted w
    ),
    taken AS (
      INSERT INTO "LimitHit" ("id", "bucket", "key", "expiresAt")
      SELECT id, bucket, key, expires_at FROM counted WHERE NOT EXISTS (SELECT 1 FROM counted WHERE alive >= max)
      RETURNING "id"
    )
    SELECT bucket, key, alive, EXISTS (SELECT 1 FROM taken) AS taken FROM counted`;
  if (rows.some((row) => row.taken)) return { ok: true, ids: wanted.map((limit) => limit.id) };
  for (const limit of sorted) {
    const alive = rows.find((row) => row.bucket === limit.bucket && row.key === limit.key)?.alive ?? 0;
    if (alive < limit.max) continue;
    // The earliest moment a use frees up: when the oldest one still counted expires.
    const oldest = await tx.limitHit.findFirst({
      where: { bucket: limit.bucket, key: limit.key, expiresAt: { gt: now } },
      orderBy: { expiresAt: "asc" },
      skip: alive - limit.max,
      select: { expiresAt: true },
    });
    const retryAfterSeconds = Math.max(1, Math.ceil(((oldest?.expiresAt.getTime() ?? now.getTime() + limit.ttlSeconds * 1000) - now.getTime()) / 1000));
    return { ok: false, bucket: limit.bucket, retryAfterSeconds };
  }
  throw new Error("limits neither taken nor refused");
}

/** Forgets every use of `bucket` by `key`, in `tx`: the reason for the limit has gone away. */
export async function clearLimit(bucket: string, key: string, tx: Tx): Promise<void> {
  await tx.limitHit.deleteMany({ where: { bucket, key } });
}

/** Gives uses back: a stream that closed, or a send that never went out. */
export async function releaseLimits(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const prisma = await db();
  await prisma.limitHit.deleteMany({ where: { id: { in: ids } } });
}

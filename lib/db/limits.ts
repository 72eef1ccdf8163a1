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
import { Prisma, type PrismaClient } from "./generated/client";

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

/** The limits of one take, in lock order, each with the id and expiry its new use would get. */
type Take = { now: Date; wanted: (Limit & { id: string; expiresAt: Date })[] };

function planTake(limits: Limit[]): Take {
  const now = new Date();
  const sorted = [...limits].sort((a, b) => `${a.bucket}:${a.key}`.localeCompare(`${b.bucket}:${b.key}`));
  return { now, wanted: sorted.map((limit) => ({ ...limit, id: randomToken(16), expiresAt: new Date(now.getTime() + limit.ttlSeconds * 1000) })) };
}

type TakenRow = { bucket: string; key: string; alive: number; taken: boolean };

/**
 * The two statements of a take, for a transaction: the advisory locks, in the sorted order (so
 * two callers never deadlock), then one statement that counts the live uses and inserts the new
 * ones only if every limit has room. The count is a later statement than the locks, so it sees
 * every use committed by whoever held a lock before us. Plain SQL: every sign-in start takes two
 * limits, and a model query per limit costs several times a statement.
 */
function takeStatements(client: Tx | PrismaClient, take: Take) {
  const lock = client.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(k)) FROM (VALUES ${Prisma.join(take.wanted.map((limit) => Prisma.sql`(${`limit:${limit.bucket}:${limit.key}`}::text)`))}) AS t(k)`;
  const count = client.$queryRaw<TakenRow[]>`
    WITH wanted(bucket, key, max, id, expires_at) AS (
      VALUES ${Prisma.join(take.wanted.map((limit) => Prisma.sql`(${limit.bucket}::text, ${limit.key}::text, ${limit.max}::int, ${limit.id}::text, ${limit.expiresAt}::timestamp(3))`))}
    ),
    counted AS (
      SELECT w.*, (SELECT count(*) FROM "LimitHit" h WHERE h."bucket" = w.bucket AND h."key" = w.key AND h."expiresAt" > ${take.now})::int AS alive FROM wanted w
    ),
    taken AS (
      INSERT INTO "LimitHit" ("id", "bucket", "key", "expiresAt")
      SELECT id, bucket, key, expires_at FROM counted WHERE NOT EXISTS (SELECT 1 FROM counted WHERE alive >= max)
      RETURNING "id"
    )
    SELECT bucket, key, alive, EXISTS (SELECT 1 FROM taken) AS taken FROM counted`;
  return { lock, count };
}

/** The outcome of a take from its counted rows; a refusal says when the first full limit frees a use. */
async function settleTake(client: Tx | PrismaClient, take: Take, rows: TakenRow[]): Promise<LimitResult> {
  if (rows.some((row) => row.taken)) return { ok: true, ids: take.wanted.map((limit) => limit.id) };
  const { now } = take;
  for (const limit of take.wanted) {
    const alive = rows.find((row) => row.bucket === limit.bucket && row.key === limit.key)?.alive ?? 0;
    if (alive < limit.max) continue;
    // The earliest moment a use frees up: when the oldest one still counted expires.
    const oldest = await client.limitHit.findFirst({
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

/**
 * Takes one use of every limit in `limits`, or none of them, in `tx` (or a transaction of its
 * own). Each (bucket, key) is serialized with a transaction-scoped advisory lock, so parallel
 * requests cannot both slip under a limit.
 */
export async function takeLimits(limits: Limit[], tx?: Tx): Promise<LimitResult> {
  if (limits.length === 0) return { ok: true, ids: [] };
  if (!tx) return (await db()).$transaction((inner) => takeLimits(limits, inner));
  const take = planTake(limits);
  const { lock, count } = takeStatements(tx, take);
  await lock;
  return settleTake(tx, take, await count);
}

/**
 * Takes `limits` and, only if they were taken, inserts one row with `insert` (a statement that
 * must insert nothing when `hitId` does not exist): one batch transaction, no round trips
 * between its statements, so the locks are held for as short a time as the database allows.
 */
export async function insertWithinLimits(limits: Limit[], insert: (client: PrismaClient, hitId: string) => Prisma.PrismaPromise<number>): Promise<LimitResult> {
  const prisma = await db();
  if (limits.length === 0) {
    await insert(prisma, "");
    return { ok: true, ids: [] };
  }
  const take = planTake(limits);
  const { lock, count } = takeStatements(prisma, take);
  const [, rows] = await prisma.$transaction([lock, count, insert(prisma, take.wanted[0]!.id)]);
  return settleTake(prisma, take, rows);
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

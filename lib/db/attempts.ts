/**
 * Sign-in attempts as the operator console reads them: the OAuth states (website QR, sign-in
 * inside WeChat) and the login tickets (Official Account QR, mini-program code), one shape for
 * both. The funnel is computed from these rows, so the console works without Prometheus.
 *
 * Both tables are read through one SQL expression ({@link attemptRows}) that maps a row to the
 * attempt's surface and outcome, so the list, the funnel and the series count the same way:
 * - a state's `success` (or later `signed_out`) is signed_in; `error:cancelled` (WeChat's
 *   "拒绝", a callback without a code) is denied; any other `error:<code>` is failed. A silent
 *   state that escalated to the consent scope hands its attempt id to the consent state and goes
 *   (lib/login/oauth-attempt.ts); one never continued stays pending, then expires.
 * - a ticket `redeemed` is signed_in; `error` (WeChat refused to draw the code) and a wrong
 *   number picked are failed; a Cancel on the phone is cancelled.
 * - an open attempt past its expiry (a confirmed ticket past its redeem window) is expired, or
 *   failed when WeChat refused one of its steps on the way (its errcode is kept).
 */
import "server-only";
import { db } from "./client";
import { Prisma } from "./generated/client";
import { REDEEM_WINDOW_MS } from "./login-tickets";

export const ATTEMPT_SURFACES = ["website", "in_wechat", "official_account", "mini_program"] as const;
export type AttemptSurface = (typeof ATTEMPT_SURFACES)[number];

/** `pending` is still open; the rest are final. */
export const ATTEMPT_OUTCOMES = ["pending", "signed_in", "failed", "denied", "expired", "cancelled"] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

export type Attempt = {
  /** The attempt id: on its log lines and its trace (`login.attempt_id`); never a bearer value. */
  id: string;
  surface: AttemptSurface;
  appId: string;
  outcome: AttemptOutcome;
  /** Our error code (lib/errors.ts) of a failed attempt. */
  errorCode: string | null;
  errcode: number | null;
  rid: string | null;
  /** The trusted client address and the browser's User-Agent of the computer that asked. */
  ip: string | null;
  userAgent: string | null;
  userId: string | null;
  traceParent: string | null;
  createdAt: Date;
  /** Null where WeChat keeps the step to itself (the website QR's scan). */
  scannedAt: Date | null;
  confirmedAt: Date | null;
  finishedAt: Date | null;
};

export type AttemptFilter = {
  outcome?: AttemptOutcome | undefined;
  surface?: AttemptSurface | undefined;
  errcode?: number | undefined;
  userId?: string | undefined;
  since?: Date | undefined;
  /** Newest first; at most this many (default 50, at most 200). */
  limit?: number | undefined;
};

type AttemptRow = Attempt & { shown: boolean };

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
/** A series never has more points than this, whatever `since` and `bucketMs` ask. */
const MAX_BUCKETS = 2000;

/**
 * Every attempt as one row set, `now` deciding what has expired. The website QR's scan and
 * confirm happen on WeChat's side: we learn of the confirm only when the callback brings a code
 * (`consumedAt` with a `codeHash`), and of the scan never.
 */
function attemptRows(now: Date): Prisma.Sql {
  return Prisma.sql`
    SELECT s."attemptId" AS "id",
      CASE WHEN s."mode" IN ('oa_base', 'oa_userinfo') THEN 'in_wechat' ELSE 'website' END AS "surface",
      s."appId",
      CASE
        WHEN s."outcome" IN ('success', 'signed_out') THEN 'signed_in'
        WHEN s."outcome" = 'error:cancelled' THEN 'denied'
        WHEN s."outcome" LIKE 'error:%' THEN 'failed'
        WHEN s."expiresAt" <= ${now}::timestamp(3) THEN 'expired'
        ELSE 'pending'
      END AS "outcome",
      CASE WHEN s."outcome" LIKE 'error:%' THEN substr(s."outcome", 7) END AS "errorCode",
      s."errcode", s."rid", s."ip", s."userAgent", s."userId", s."traceParent", s."createdAt",
      NULL::timestamp(3) AS "scannedAt",
      CASE WHEN s."codeHash" IS NOT NULL THEN s."consumedAt" END AS "confirmedAt",
      s."finishedAt",
      TRUE AS "shown"
    FROM "WechatLoginState" s
    UNION ALL
    SELECT t."attemptId", t."surface", t."appId",
      CASE
        WHEN t."status" = 'redeemed' THEN 'signed_in'
        WHEN t."status" = 'error' THEN 'failed'
        WHEN t."status" = 'cancelled' AND t."errorCode" = 'number_mismatch' THEN 'failed'
        WHEN t."status" = 'cancelled' THEN 'cancelled'
        WHEN t."status" = 'expired'
          OR (t."status" IN ('waiting', 'scanned') AND t."expiresAt" <= ${now}::timestamp(3))
          OR (t."status" = 'confirmed' AND t."confirmedAt" + ${REDEEM_WINDOW_MS}::int * interval '1 millisecond' <= ${now}::timestamp(3))
          THEN CASE WHEN t."errorCode" IS NULL THEN 'expired' ELSE 'failed' END
        ELSE 'pending'
      END,
      t."errorCode", t."errcode", t."rid", t."requestIp", t."requestUserAgent", t."userId", t."traceParent", t."createdAt",
      t."scannedAt", t."confirmedAt", t."finishedAt",
      -- Only a refused draw (status error) left nothing to show; pruning later drops the image itself.
      t."status" <> 'error'
    FROM "LoginTicket" t`;
}

function toAttempt(row: AttemptRow): Attempt {
  const { shown: _shown, ...attempt } = row;
  return attempt;
}

function clampLimit(limit: number | undefined): number {
  if (!limit || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** The latest attempts, newest first, narrowed by `filter`. */
export async function listAttempts(filter: AttemptFilter = {}): Promise<Attempt[]> {
  const prisma = await db();
  const conditions: Prisma.Sql[] = [];
  if (filter.outcome) conditions.push(Prisma.sql`a."outcome" = ${filter.outcome}`);
  if (filter.surface) conditions.push(Prisma.sql`a."surface" = ${filter.surface}`);
  if (filter.errcode !== undefined) conditions.push(Prisma.sql`a."errcode" = ${filter.errcode}::int`);
  if (filter.userId) conditions.push(Prisma.sql`a."userId" = ${filter.userId}`);
  if (filter.since) conditions.push(Prisma.sql`a."createdAt" >= ${filter.since}::timestamp(3)`);
  const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  const rows = await prisma.$queryRaw<AttemptRow[]>`
    SELECT * FROM (${attemptRows(new Date())}) a ${where}
    ORDER BY a."createdAt" DESC, a."id" DESC
    LIMIT ${clampLimit(filter.limit)}::int`;
  return rows.map(toAttempt);
}

export async function findAttempt(id: string): Promise<Attempt | null> {
  const prisma = await db();
  const [row] = await prisma.$queryRaw<AttemptRow[]>`SELECT * FROM (${attemptRows(new Date())}) a WHERE a."id" = ${id} LIMIT 1`;
  return row ? toAttempt(row) : null;
}
export type FunnelRow = {
  surface: AttemptSurface | "all";
  /** QR codes (or authorization pages) shown: attempts created. */
  shown: number;
  /** Null for surfaces whose scan WeChat does not tell us about. */
  scanned: number | null;
  confirmed: number | null;
  signedIn: number;
  failed: number;
  medianScanMs: number | null;
  medianConfirmMs: number | null;
};

export type FailureRow = { errorCode: string; errcode: number | null; count: number };

export type Funnel = { since: Date; rows: FunnelRow[]; failures: FailureRow[] };

/** Surfaces whose scan we hear of (the ticket surfaces); WeChat keeps the website QR's and in-WeChat's to itself. */
const SCANNED_SURFACES: readonly AttemptSurface[] = ["official_account", "mini_program"];

type FunnelSql = {
  surface: AttemptSurface | null;
  shown: bigint;
  scanned: bigint;
  confirmed: bigint;
  signedIn: bigint;
  failed: bigint;
  medianScanMs: number | null;
  medianConfirmMs: number | null;
};

/**
 * The funnel per surface and in total (`surface: "all"`, first) for attempts created since `since`.
 * Every surface has a row, zeros included. `scanned` is null for the OAuth surfaces and in total
 * (not every surface has it); `confirmed` of an OAuth surface counts callbacks that brought a code.
 * Medians: from the code shown to the scan, and from the scan to the confirm.
 */
export async function readFunnel(since: Date): Promise<Funnel> {
  const prisma = await db();
  const rows = await prisma.$queryRaw<FunnelSql[]>`
    SELECT a."surface",
      count(*) FILTER (WHERE a."shown") AS "shown",
      count(a."scannedAt") AS "scanned",
      count(a."confirmedAt") AS "confirmed",
      count(*) FILTER (WHERE a."outcome" = 'signed_in') AS "signedIn",
      count(*) FILTER (WHERE a."outcome" = 'failed') AS "failed",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a."scannedAt" - a."createdAt")::float8 * 1000) AS "medianScanMs",
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a."confirmedAt" - a."scannedAt")::float8 * 1000) AS "medianConfirmMs"
    FROM (${attemptRows(new Date())}) a
    WHERE a."createdAt" >= ${since}::timestamp(3)
    GROUP BY ROLLUP (a."surface")`;
  const failures = await prisma.$queryRaw<{ errorCode: string | null; errcode: number | null; count: bigint }[]>`
    SELECT a."errorCode", a."errcode", count(*) AS "count"
    FROM (${attemptRows(new Date())}) a
    WHERE a."createdAt" >= ${since}::timestamp(3) AND a."outcome" = 'failed'
    GROUP BY a."errorCode", a."errcode"
    ORDER BY count(*) DESC, a."errorCode", a."errcode"`;
  const toRow = (surface: AttemptSurface | "all", row: FunnelSql | undefined): FunnelRow => {
    const hasScan = surface !== "all" && SCANNED_SURFACES.includes(surface);
    return {
      surface,
      shown: Number(row?.shown ?? 0),
      scanned: hasScan ? Number(row?.scanned ?? 0) : null,
      confirmed: Number(row?.confirmed ?? 0),
      signedIn: Number(row?.signedIn ?? 0),
      failed: Number(row?.failed ?? 0),
      medianScanMs: row?.medianScanMs == null ? null : Math.round(Number(row.medianScanMs)),
      medianConfirmMs: row?.medianConfirmMs == null ? null : Math.round(Number(row.medianConfirmMs)),
    };
  };
  return {
    since,
    rows: [
      toRow(
        "all",
        rows.find((row) => row.surface === null),
      ),
      ...ATTEMPT_SURFACES.map((surface) =>
        toRow(
          surface,
          rows.find((row) => row.surface === surface),
        ),
      ),
    ],
    failures: failures.map((row) => ({ errorCode: row.errorCode ?? "server_error", errcode: row.errcode, count: Number(row.count) })),
  };
}

export type SeriesPoint = { at: Date; shown: number; signedIn: number; failed: number };

/** Attempts created since `since`, in buckets of `bucketMs`, oldest first, empty buckets included. */
export async function readAttemptSeries(since: Date, bucketMs: number, now = new Date()): Promise<SeriesPoint[]> {
  if (!(bucketMs > 0) || now <= since) return [];
  const buckets = Math.min(MAX_BUCKETS, Math.ceil((now.getTime() - since.getTime()) / bucketMs));
  const prisma = await db();
  // Timestamps are stored as UTC without a zone: their epoch is the UTC one.
  const rows = await prisma.$queryRaw<{ bucket: number; shown: bigint; signedIn: bigint; failed: bigint }[]>`
    SELECT floor((extract(epoch FROM a."createdAt")::float8 * 1000 - ${since.getTime()}::float8) / ${bucketMs}::float8)::int AS "bucket",
      count(*) FILTER (WHERE a."shown") AS "shown",
      count(*) FILTER (WHERE a."outcome" = 'signed_in') AS "signedIn",
      count(*) FILTER (WHERE a."outcome" = 'failed') AS "failed"
    FROM (${attemptRows(now)}) a
    WHERE a."createdAt" >= ${since}::timestamp(3) AND a."createdAt" < ${now}::timestamp(3)
    GROUP BY 1`;
  const byBucket = new Map(rows.map((row) => [Number(row.bucket), row]));
  return Array.from({ length: buckets }, (_, index) => {
    const row = byBucket.get(index);
    return {
      at: new Date(since.getTime() + index * bucketMs),
      shown: Number(row?.shown ?? 0),
      signedIn: Number(row?.signedIn ?? 0),
      failed: Number(row?.failed ?? 0),
    };
  });
}

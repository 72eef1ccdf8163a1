/**
 * Sign-in attempts as the operator console reads them: the OAuth states (website QR, sign-in
 * inside WeChat) and the login tickets (Official Account QR, mini-program code), one shape for
 * both. The funnel is computed from these rows, so the console works without Prometheus.
 *
 * CONTRACT STUB: the attempts work fills these in; the signatures are what callers rely on.
 */
import "server-only";

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

export async function listAttempts(_filter: AttemptFilter = {}): Promise<Attempt[]> {
  return [];
}

export async function findAttempt(_id: string): Promise<Attempt | null> {
  return null;
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

/** The funnel per surface and in total (`surface: "all"`, first) for attempts created since `since`. */
export async function readFunnel(since: Date): Promise<Funnel> {
  return { since, rows: [], failures: [] };
}

export type SeriesPoint = { at: Date; shown: number; signedIn: number; failed: number };

/** Attempts created since `since`, in buckets of `bucketMs`, oldest first, empty buckets included. */
export async function readAttemptSeries(_since: Date, _bucketMs: number): Promise<SeriesPoint[]> {
  return [];
}

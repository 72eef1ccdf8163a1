/**
 * Telemetry for operators: Prometheus metrics (lib/telemetry/metrics.ts, scraped at /api/metrics
 * only with METRICS_TOKEN) and OpenTelemetry traces (instrumentation.ts, exported only when an
 * OTLP endpoint is set). Both are off by default; every function here is then a cheap no-op.
 *
 * One sign-in attempt = one trace. Its id ({@link AttemptRef.id}) is on every log line written
 * inside {@link withAttempt}, on its spans (`login.attempt_id`), and on the stored row.
 *
 * CONTRACT STUB: the telemetry work fills these in; the signatures are what callers rely on.
 */
import "server-only";

/** The sign-in surfaces, as labels: low cardinality, never a user id, openid, phone or ticket id. */
export type LoginSurface = "website" | "in_wechat" | "official_account" | "mini_program";

/**
 * The steps of a sign-in attempt, in order. Not every surface has every step: website and
 * in-WeChat attempts have no `scanned` or `confirmed` we can see (WeChat keeps them), so they go
 * created → shown → code_exchanged → profile_fetched → person_resolved → signed_in.
 */
export const FUNNEL_STEPS = ["created", "shown", "scanned", "confirmed", "code_exchanged", "profile_fetched", "person_resolved", "signed_in"] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** How a step ended. `ok` moves the attempt on; the others end it. */
export type StepOutcome = "ok" | "failed" | "denied" | "expired" | "cancelled";

/** The attempt a step belongs to. `traceParent` is the stored W3C traceparent of its root span, if any. */
export type AttemptRef = {
  id: string;
  surface: LoginSurface;
  traceParent?: string | null;
  /** When the attempt was created: step durations are measured from it. */
  createdAt?: Date;
};

/** Starts an attempt's trace (root span `login.attempt`) and returns its traceparent to store, or null when tracing is off. */
export function startAttemptTrace(_attempt: AttemptRef): string | null {
  return null;
}

/**
 * Records one step: the funnel counter `{surface, step, outcome}`, the step's duration since the
 * attempt began (histogram), and a span `login.<step>` in the attempt's trace with errcode and rid.
 */
export function recordStep(
  _attempt: AttemptRef,
  _step: FunnelStep,
  _outcome: StepOutcome = "ok",
  _detail: { errcode?: number | undefined; rid?: string | undefined; reason?: string | undefined } = {},
): void {}

/** Runs `work` as the attempt's: log lines inside carry `attempt` (and `trace_id`), spans nest in its trace. */
export async function withAttempt<T>(_attempt: AttemptRef, work: () => Promise<T>): Promise<T> {
  return work();
}

/** One call to api.weixin.qq.com: `{endpoint, errcode}` count and duration; a span with endpoint, errcode, rid. */
export function observeWechatCall(_call: { endpoint: string; errcode: number | "transport"; durationMs: number; rid?: string | undefined }): void {}

/** An app access token fetched (none cached) or refreshed (the cached one was expiring or refused). */
export function countTokenFetch(_kind: "fetch" | "refresh", _result: "ok" | "error"): void {}

/** A push to /api/wechat/events, by event and by what verification said. */
export function countPush(_event: string, _verification: "ok" | "signature" | "replay" | "stale" | "decrypt" | "malformed" | "wrong_account"): void {}

/** A live-status stream opened or closed (gauge). */
export function trackStream(_change: 1 | -1): void {}

/** An SMS or email send, by provider and result. */
export function countMessageSend(_channel: "sms" | "email", _provider: string, _result: "ok" | "error" | "refused"): void {}

/** A request refused by a limit (the limit's name, never its key). */
export function countRateLimited(_limit: string): void {}

/**
 * Telemetry for operators: Prometheus metrics (lib/telemetry/metrics.ts, scraped at /api/metrics
 * only with METRICS_TOKEN) and OpenTelemetry traces (instrumentation.ts, exported only when an
 * OTLP endpoint is set). Both are off by default; every function here is then a cheap no-op.
 * Their cost when on is measured by `npm run bench:login` (bench/README.md "Telemetry").
 *
 * One sign-in attempt = one trace. Its id ({@link AttemptRef.id}) is on every log line written
 * inside {@link withAttempt}, on its spans (`login.attempt_id`), and on the stored row.
 *
 * Spans never carry a secret: endpoints are paths without query, and only ids that are no bearer
 * value (the attempt id, WeChat's rid) are attributes.
 */
import "server-only";
import { AppError } from "@/lib/errors";
import { currentAttempt, runInAttempt } from "@/lib/attempt-context";
import { getEnv } from "@/lib/env";
import { cappedLabel, closedLabel, metrics } from "./metrics";
import { emitSpan, isTracing, parseTraceParent, startRootSpan } from "./tracing";

/** The sign-in surfaces, as labels: low cardinality, never a user id, openid, phone or ticket id. */
export const LOGIN_SURFACES = ["website", "in_wechat", "official_account", "mini_program"] as const;
export type LoginSurface = (typeof LOGIN_SURFACES)[number];

/**
 * The steps of a sign-in attempt, in order. Not every surface has every step: website and
 * in-WeChat attempts have no `scanned` or `confirmed` we can see (WeChat keeps them), so they go
 * created → shown → code_exchanged → profile_fetched → person_resolved → signed_in.
 */
export const FUNNEL_STEPS = ["created", "shown", "scanned", "confirmed", "code_exchanged", "profile_fetched", "person_resolved", "signed_in"] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** How a step ended. `ok` moves the attempt on; the others end it. */
export const STEP_OUTCOMES = ["ok", "failed", "denied", "expired", "cancelled"] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

/** The attempt a step belongs to. `traceParent` is the stored W3C traceparent of its root span, if any. */
export type AttemptRef = {
  id: string;
  surface: LoginSurface;
  traceParent?: string | null;
  /** When the attempt was created: step durations are measured from it. */
  createdAt?: Date;
};

/** Which halves are on: the cached environment and whether register.ts installed a tracer (property reads, no I/O). */
function switches(): { metrics: boolean; tracing: boolean } {
  return { metrics: getEnv().telemetry.metricsToken !== undefined, tracing: isTracing() };
}

/** Whether anything is recorded at all; callers with work to do only for telemetry may ask. */
export function isTelemetryOn(): boolean {
  const on = switches();
  return on.metrics || on.tracing;
}

const surfaceLabel = closedLabel(LOGIN_SURFACES);
const stepLabel = closedLabel(FUNNEL_STEPS);
const outcomeLabel = closedLabel(STEP_OUTCOMES);
const endpointLabel = cappedLabel(40);
const errcodeLabel = cappedLabel(100);
const providerLabel = cappedLabel(10);
const limitLabel = cappedLabel(30);
const appIdLabel = cappedLabel(20);
/** The push events the sign-in acts on; WeChat has dozens more, counted as `other`. */
export const PUSH_EVENTS = ["subscribe", "unsubscribe", "scan", "text", "url_check", "none"] as const;
const pushEventLabel = closedLabel(PUSH_EVENTS);
const PUSH_VERIFICATIONS = ["ok", "signature", "replay", "stale", "decrypt", "malformed", "wrong_account"] as const;
const verificationLabel = closedLabel(PUSH_VERIFICATIONS);

/** An API path as a label: no origin, no query, no trailing slash (`/sns/oauth2/access_token`). */
export function normalizeEndpoint(endpoint: string): string {
  let path = endpoint;
  if (path.includes("://")) {
    try {
      path = new URL(path).pathname;
    } catch {
      return "other";
    }
  }
  path = path.split(/[?#]/, 1)[0] ?? "";
  if (!path.startsWith("/")) path = `/${path}`;
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

function errcodeValue(errcode: number | "transport"): string {
  if (errcode === "transport") return errcode;
  return Number.isInteger(errcode) ? errcodeLabel(String(errcode)) : "other";
}

/** Starts an attempt's trace (root span `login.attempt`) and returns its traceparent to store, or null when tracing is off. */
export function startAttemptTrace(attempt: AttemptRef): string | null {
  if (!switches().tracing) return null;
  return startRootSpan("login.attempt", { "login.attempt_id": attempt.id, "login.surface": attempt.surface }, attempt.createdAt);
}

/**
 * Records one step: the funnel counter `{surface, step, outcome}`, the step's duration since the
 * attempt began (histogram), and a span `login.<step>` in the attempt's trace with errcode and rid.
 */
export function recordStep(
  attempt: AttemptRef,
  step: FunnelStep,
  outcome: StepOutcome = "ok",
  detail: { errcode?: number | undefined; rid?: string | undefined; reason?: string | undefined } = {},
): void {
  const on = switches();
  if (on.metrics) {
    const series = metrics();
    const surface = surfaceLabel(attempt.surface);
    const stepName = stepLabel(step);
    series.funnel.inc({ surface, step: stepName, outcome: outcomeLabel(outcome) });
    if (attempt.createdAt) series.stepDuration.observe({ surface, step: stepName }, Math.max(0, Date.now() - attempt.createdAt.getTime()) / 1000);
  }
  const parent = on.tracing ? parseTraceParent(attempt.traceParent) : undefined;
  if (parent) {
    emitSpan(
      `login.${stepLabel(step)}`,
      {
        "login.attempt_id": attempt.id,
        "login.surface": attempt.surface,
        "login.outcome": outcome,
        ...(detail.errcode !== undefined ? { "wechat.errcode": detail.errcode } : {}),
        ...(detail.rid ? { "wechat.rid": detail.rid } : {}),
        ...(detail.reason ? { "login.reason": detail.reason } : {}),
      },
      parent,
      { failed: outcome === "failed" },
    );
  }
}

/**
 * Runs `work` as the attempt's: log lines inside carry `attempt` (and `trace_id`), WeChat calls'
 * spans go under its trace. This costs one AsyncLocalStorage frame, telemetry on or off.
 */
export async function withAttempt<T>(attempt: AttemptRef, work: () => Promise<T>): Promise<T> {
  try {
    return await runInAttempt({ attemptId: attempt.id, trace: parseTraceParent(attempt.traceParent) }, work);
  } catch (caught) {
    // The innermost attempt names the error; the error page shows it as the support reference.
    if (caught instanceof AppError) caught.attemptId ??= attempt.id;
    throw caught;
  }
}

/**
 * One call to api.weixin.qq.com: `{endpoint, errcode}` count and duration; a span with endpoint,
 * errcode and rid, under the current attempt's trace (a trace of its own outside any attempt).
 */
export function observeWechatCall(call: { endpoint: string; errcode: number | "transport"; durationMs: number; rid?: string | undefined }): void {
  const on = switches();
  if (!on.metrics && !on.tracing) return;
  const endpoint = normalizeEndpoint(call.endpoint);
  if (on.metrics) {
    const series = metrics();
    const label = endpointLabel(endpoint);
    series.wechatCalls.inc({ endpoint: label, errcode: errcodeValue(call.errcode) });
    series.wechatCallDuration.observe({ endpoint: label }, call.durationMs / 1000);
  }
  if (on.tracing) {
    emitSpan(
      "wechat.api",
      {
        "wechat.endpoint": endpoint,
        "wechat.errcode": String(call.errcode),
        "wechat.duration_ms": call.durationMs,
        ...(call.rid ? { "wechat.rid": call.rid } : {}),
      },
      currentAttempt()?.trace,
      { startTime: Date.now() - call.durationMs, failed: call.errcode !== 0 },
    );
  }
}

/** An app access token fetched (none cached) or refreshed (the cached one was expiring or refused). */
export function countTokenFetch(kind: "fetch" | "refresh", result: "ok" | "error"): void {
  if (!switches().metrics) return;
  metrics().tokenFetches.inc({ kind: kind === "refresh" ? "refresh" : "fetch", result: result === "ok" ? "ok" : "error" });
}

/** A push to /api/wechat/events, by event and by what verification said. */
export function countPush(event: string, verification: "ok" | "signature" | "replay" | "stale" | "decrypt" | "malformed" | "wrong_account"): void {
  if (!switches().metrics) return;
  metrics().pushes.inc({ event: pushEventLabel(event.toLowerCase()), verification: verificationLabel(verification) });
}

/** A live-status stream opened or closed (gauge). */
export function trackStream(change: 1 | -1): void {
  if (!switches().metrics) return;
  metrics().openStreams.inc(change);
}

/** An SMS or email send, by provider and result. */
export function countMessageSend(channel: "sms" | "email", provider: string, result: "ok" | "error" | "refused"): void {
  if (!switches().metrics) return;
  metrics().messageSends.inc({ channel, provider: providerLabel(provider), result });
}

/** A request refused by a limit (the limit's name, never its key). */
export function countRateLimited(limit: string): void {
  if (!switches().metrics) return;
  metrics().rateLimited.inc({ limit: limitLabel(limit) });
}

/** What the quota gauges need of one reading of `cgi-bin/openapi/quota/get` (lib/wechat/diagnostics' ok readings). */
export type QuotaGaugeReading = { appId: string; endpoint: string; dailyLimit: number; used: number; remain: number };

/** Replaces the quota gauges with these readings (an endpoint no longer read disappears). */
export function setQuotaGauges(readings: readonly QuotaGaugeReading[]): void {
  if (!switches().metrics) return;
  const { quotaLimit, quotaUsed, quotaRemain } = metrics();
  for (const gauge of [quotaLimit, quotaUsed, quotaRemain]) gauge.reset();
  for (const reading of readings) {
    const labels = { appid: appIdLabel(reading.appId), endpoint: endpointLabel(normalizeEndpoint(reading.endpoint)) };
    quotaLimit.set(labels, reading.dailyLimit);
    quotaUsed.set(labels, reading.used);
    quotaRemain.set(labels, reading.remain);
  }
}

/** Sets the waiting-tickets gauge from a count per surface (read from the database at scrape). */
export function setWaitingTickets(counts: Readonly<Record<string, number>>): void {
  if (!switches().metrics) return;
  const { waitingTickets } = metrics();
  waitingTickets.reset();
  for (const surface of ["official_account", "mini_program"] as const) waitingTickets.set({ surface }, counts[surface] ?? 0);
}

/** The registry in Prometheus' text format, and its content type. */
export async function renderMetrics(): Promise<{ body: string; contentType: string }> {
  const { registry } = metrics();
  return { body: await registry.metrics(), contentType: registry.contentType };
}

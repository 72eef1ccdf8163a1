/**
 * The Prometheus series of the sign-in: one prom-client registry per process, held on globalThis
 * (Next may load this module more than once) and created on first use, so a process with metrics
 * off never builds it.
 *
 * Every label takes a bounded set of values: a value outside its set (or past a label's cap of
 * distinct values) becomes `other`. Nothing that identifies a person or an attempt is a label.
 */
import "server-only";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export const METRIC_PREFIX = "wechat_login_";

/** Step durations: from the attempt's start, so seconds to minutes (a ticket lives 5 minutes). */
const STEP_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
/** WeChat answers within tens of milliseconds to a few seconds; the client gives up at its timeout. */
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function build(registry: Registry) {
  const registers = [registry];
  return {
    funnel: new Counter({
      name: `${METRIC_PREFIX}funnel_total`,
      help: "Sign-in attempt steps by surface, step and outcome (ok moves the attempt on; the others end it).",
      labelNames: ["surface", "step", "outcome"] as const,
      registers,
    }),
    stepDuration: new Histogram({
      name: `${METRIC_PREFIX}step_duration_seconds`,
      help: "Time from the attempt's start to each of its steps.",
      labelNames: ["surface", "step"] as const,
      buckets: STEP_BUCKETS,
      registers,
    }),
    wechatCalls: new Counter({
      name: `${METRIC_PREFIX}wechat_api_calls_total`,
      help: "Calls to WeChat's API by endpoint (path without query) and errcode (0, a number, or transport).",
      labelNames: ["endpoint", "errcode"] as const,
      registers,
    }),
    wechatCallDuration: new Histogram({
      name: `${METRIC_PREFIX}wechat_api_duration_seconds`,
      help: "Duration of calls to WeChat's API, answered or not.",
      labelNames: ["endpoint"] as const,
      buckets: CALL_BUCKETS,
      registers,
    }),
    tokenFetches: new Counter({
      name: `${METRIC_PREFIX}access_token_fetches_total`,
      help: "App access tokens fetched (none cached) or refreshed (expiring or refused), by result.",
      labelNames: ["kind", "result"] as const,
      registers,
    }),
    pushes: new Counter({
      name: `${METRIC_PREFIX}pushes_total`,
      help: "Pushes to /api/wechat/events by event and verification result.",
      labelNames: ["event", "verification"] as const,
      registers,
    }),
    openStreams: new Gauge({
      name: `${METRIC_PREFIX}open_streams`,
      help: "Live-status streams open in this process.",
      registers,
    }),
    waitingTickets: new Gauge({
      name: `${METRIC_PREFIX}waiting_tickets`,
      help: "Login tickets not yet scanned nor expired, by surface (read from the database at scrape).",
      labelNames: ["surface"] as const,
      registers,
    }),
    messageSends: new Counter({
      name: `${METRIC_PREFIX}message_sends_total`,
      help: "SMS and email sends by channel, provider and result.",
      labelNames: ["channel", "provider", "result"] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: `${METRIC_PREFIX}rate_limited_total`,
      help: "Requests refused by an abuse limit, by the limit's name.",
      labelNames: ["limit"] as const,
      registers,
    }),
    quotaLimit: new Gauge({
      name: `${METRIC_PREFIX}wechat_quota_limit`,
      help: "WeChat's daily call quota of an endpoint (cgi-bin/openapi/quota/get), per app.",
      labelNames: ["appid", "endpoint"] as const,
      registers,
    }),
    quotaUsed: new Gauge({
      name: `${METRIC_PREFIX}wechat_quota_used`,
      help: "Calls of an endpoint's daily quota used today, per app.",
      labelNames: ["appid", "endpoint"] as const,
      registers,
    }),
    quotaRemain: new Gauge({
      name: `${METRIC_PREFIX}wechat_quota_remain`,
      help: "Calls left of an endpoint's daily quota today, per app.",
      labelNames: ["appid", "endpoint"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof build> & { registry: Registry };

const globalForMetrics = globalThis as typeof globalThis & { __wechatLoginMetrics?: Metrics };

/** This process's registry and series, created on first call. */
export function metrics(): Metrics {
  let existing = globalForMetrics.__wechatLoginMetrics;
  if (!existing) {
    const registry = new Registry();
    existing = { registry, ...build(registry) };
    globalForMetrics.__wechatLoginMetrics = existing;
  }
  return existing;
}

/** Forgets every series (tests). */
export function resetMetrics(): void {
  globalForMetrics.__wechatLoginMetrics?.registry.resetMetrics();
}

/** A label taking values from a closed set; anything else is `other`. */
export function closedLabel<T extends string>(allowed: readonly T[]): (value: string) => T | "other" {
  const set = new Set<string>(allowed);
  return (value) => (set.has(value) ? (value as T) : "other");
}

const LABEL_SHAPE = /^[\w./-]{1,64}$/;

/**
 * A label whose values come from code or configuration (endpoint paths, provider names, limit
 * names): well-shaped values are kept up to `cap` distinct ones per process, the rest are `other`.
 * The cap is a guard against a bug putting an id in; it is never meant to be reached.
 */
export function cappedLabel(cap: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (!LABEL_SHAPE.test(value) || seen.size >= cap) return "other";
    seen.add(value);
    return value;
  };
}

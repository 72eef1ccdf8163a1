/**
 * The attempt's trace. A sign-in attempt outlives the request that starts it (a ticket waits for
 * minutes, its steps arrive on other requests and other instances), so its root span
 * `login.attempt` is ended at once and only its W3C traceparent is kept, on the stored attempt;
 * each later step is a span under that stored parent. The tracer provider is whatever
 * instrumentation.ts registered; without one every span here is a no-op.
 */
import "server-only";
import { context, isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Attributes, type Context, type SpanContext } from "@opentelemetry/api";

const TRACER_NAME = "wechat-scan-login";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** The W3C traceparent of a span context. */
export function formatTraceParent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags.toString(16).padStart(2, "0")}`;
}

/** The span context of a stored traceparent, or undefined for anything else. */
export function parseTraceParent(value: string | null | undefined): SpanContext | undefined {
  const match = value ? TRACEPARENT.exec(value) : null;
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  const spanContext = { traceId: match[1], spanId: match[2], traceFlags: Number.parseInt(match[3], 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A context whose parent span is the stored one (the active context when there is none). */
export function contextUnder(traceParent: string | null | undefined): Context {
  const parent = parseTraceParent(traceParent);
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : context.active();
}

/** Starts and ends the root span of an attempt; its traceparent, or null when nothing records it. */
export function startRootSpan(name: string, attributes: Attributes, startTime?: Date): string | null {
  const span = tracer().startSpan(name, { root: true, attributes, ...(startTime ? { startTime } : {}) });
  span.end();
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? formatTraceParent(spanContext) : null;
}

/** One finished span under `parent`, from `startTime` (default now) to now. */
export function emitSpan(name: string, attributes: Attributes, parent: Context, options: { startTime?: number; failed?: boolean } = {}): void {
  const span = tracer().startSpan(name, { attributes, ...(options.startTime ? { startTime: options.startTime } : {}) }, parent);
  if (options.failed) span.setStatus({ code: 2 });
  span.end();
}

/** Runs `work` with the stored span as the active parent, so spans started inside nest under it. */
export function runUnder<T>(traceParent: string | null | undefined, work: () => T): T {
  const parent = parseTraceParent(traceParent);
  return parent ? context.with(trace.setSpanContext(context.active(), parent), work) : work();
}

/**
 * The attempt's trace. A sign-in attempt outlives the request that starts it (a ticket waits for
 * minutes, its steps arrive on other requests and other instances), so its root span
 * `login.attempt` is ended at once and only its W3C traceparent is kept, on the stored attempt;
 * each later step is a span under that stored parent.
 *
 * The spans come from this app's own tracer provider (lib/telemetry/register.ts), which is not
 * registered as the global one: a global provider switches on Next's spans for every request
 * (request, route handler, module loading, rendering), and those cost more than the sign-in's own
 * (bench/README.md "Telemetry"). So nothing here uses OpenTelemetry's context API either: the
 * parent of a span is the attempt's root span, from its stored traceparent or from the attempt
 * context (lib/attempt-context.ts). Without a provider every function here is a no-op.
 */
import "server-only";
import { isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Attributes, type SpanContext, type Tracer } from "@opentelemetry/api";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** What register.ts installs: where spans go, and what to call once a request's spans are done. */
export type TraceSink = { tracer: Tracer; afterSpan: () => void };

const globalForTracing = globalThis as typeof globalThis & { __wechatLoginTraceSink?: TraceSink };

/** Installs the sink for this process (register.ts, once). */
export function installTraceSink(sink: TraceSink): void {
  globalForTracing.__wechatLoginTraceSink = sink;
}

/** Whether a sink is installed, i.e. spans are recorded. */
export function isTracing(): boolean {
  return globalForTracing.__wechatLoginTraceSink !== undefined;
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

/** Starts and ends the root span of an attempt; its traceparent, or null when nothing records it. */
export function startRootSpan(name: string, attributes: Attributes, startTime?: Date): string | null {
  const sink = globalForTracing.__wechatLoginTraceSink;
  if (!sink) return null;
  const span = sink.tracer.startSpan(name, { root: true, attributes, ...(startTime ? { startTime } : {}) });
  span.end();
  sink.afterSpan();
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? formatTraceParent(spanContext) : null;
}

/**
 * One finished span from `startTime` (default now) to now, under `parent` (an attempt's root span,
 * see {@link parseTraceParent}); a root span of its own when there is none (a WeChat call outside
 * any attempt).
 */
export function emitSpan(name: string, attributes: Attributes, parent: SpanContext | undefined, options: { startTime?: number; failed?: boolean } = {}): void {
  const sink = globalForTracing.__wechatLoginTraceSink;
  if (!sink) return;
  const parentContext = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
  const span = sink.tracer.startSpan(name, { attributes, ...(options.startTime ? { startTime: options.startTime } : {}) }, parentContext);
  if (options.failed) span.setStatus({ code: 2 });
  span.end();
  sink.afterSpan();
}

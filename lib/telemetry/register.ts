/**
 * Turns tracing on for this process (instrumentation.ts, Node runtime): @vercel/otel with the
 * standard OTEL_* variables (OTLP endpoint, protocol, headers, sampler), so it works the same on
 * Node and on Vercel.
 *
 * No trace context ever leaves for WeChat: @vercel/otel's fetch instrumentation (which would add
 * `traceparent` to outgoing requests) is left out, and Next's own span around each fetch is
 * switched off. WeChat calls get our `wechat.api` spans instead (lib/telemetry/index.ts).
 */
import "server-only";
import type { Configuration } from "@vercel/otel";
import { getEnv } from "@/lib/env";

const globalForTracing = globalThis as typeof globalThis & { __wechatLoginTracing?: boolean };

/**
 * Registers the tracer provider once per process when an OTLP endpoint is configured; `overrides`
 * are for tests (an in-memory exporter). Returns whether tracing is on.
 */
export async function registerTracing(overrides: Partial<Configuration> = {}): Promise<boolean> {
  const { telemetry } = getEnv();
  if (!telemetry.tracing) return false;
  if (globalForTracing.__wechatLoginTracing) return true;
  globalForTracing.__wechatLoginTracing = true;
  // Read by Next's patched fetch on every call; "1" hides its span (and so any context it carries).
  process.env.NEXT_OTEL_FETCH_DISABLED = "1";
  const { registerOTel } = await import("@vercel/otel");
  registerOTel({ serviceName: telemetry.serviceName, instrumentations: [], propagators: ["tracecontext"], ...overrides });
  return true;
}

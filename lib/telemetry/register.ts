/**
 * Turns tracing on for this process (instrumentation.ts, Node runtime) when an OTLP endpoint is
 * set: a tracer provider of this app's own, exporting in batches over OTLP/HTTP with
 * @vercel/otel's fetch-based exporters, configured by the standard OTEL_* variables (endpoint,
 * protocol, headers through lib/env; sampler and batch sizes read by the SDK itself). On Vercel,
 * where a function may freeze once it has answered, each request's spans are flushed by `after()`.
 *
 * The provider is deliberately not the global one (see lib/telemetry/tracing.ts): Next's own
 * spans stay off, and no instrumentation of `fetch` exists that could add `traceparent` to a
 * request to WeChat.
 */
import "server-only";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { getEnv } from "@/lib/env";
import { installTraceSink, isTracing } from "./tracing";

const TRACER_NAME = "wechat-scan-login";

/**
 * Installs the tracer once per process when an OTLP endpoint is configured; `spanProcessors`
 * replace the OTLP export (tests use an in-memory exporter). Returns whether tracing is on.
 */
export async function registerTracing(options: { spanProcessors?: SpanProcessor[] } = {}): Promise<boolean> {
  const { telemetry } = getEnv();
  if (telemetry.otlpTracesUrl === undefined) return false;
  if (isTracing()) return true;
  const { OTLPHttpJsonTraceExporter, OTLPHttpProtoTraceExporter } = await import("@vercel/otel");
  const exporterConfig = { url: telemetry.otlpTracesUrl, headers: telemetry.otlpHeaders };
  const exporter = telemetry.otlpProtocol === "http/json" ? new OTLPHttpJsonTraceExporter(exporterConfig) : new OTLPHttpProtoTraceExporter(exporterConfig);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": telemetry.serviceName }),
    spanProcessors: options.spanProcessors ?? [new BatchSpanProcessor(exporter)],
  });
  const { after } = await import("next/server");
  const flush = () => provider.forceFlush();
  installTraceSink({
    tracer: provider.getTracer(TRACER_NAME),
    afterSpan: telemetry.flushEachRequest
      ? () => {
          try {
            after(flush);
          } catch {
            // Outside a request (a background job): the batch's own timer sends these spans.
          }
        }
      : () => {},
  });
  return true;
}

/**
 * Traces as an OTLP collector receives them: the real exporter and batch processor, over real
 * HTTP to a collector stand-in that decodes OTLP/JSON. And what the rest of the process sees of
 * the tracer: nothing, so Next's own per-request spans stay off.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { withEnv } from "@/lib/test/env";
import { observeWechatCall, recordStep, startAttemptTrace, withAttempt } from "./index";
import { registerTracing } from "./register";

type OtlpValue = { stringValue?: string; intValue?: string | number };
type OtlpSpan = { name: string; traceId: string; spanId: string; parentSpanId?: string; attributes: { key: string; value: OtlpValue }[] };
type OtlpExport = {
  resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
};

const received: { path: string; headers: IncomingHttpHeaders; body: OtlpExport }[] = [];
let collector: Server;

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport });
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  // Read by the SDK's batch processor when it is built: send within 50 ms instead of 5 s.
  vi.stubEnv("OTEL_BSP_SCHEDULE_DELAY", "50");
  withEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/otlp`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20collector-token",
    OTEL_SERVICE_NAME: "login-under-test",
    METRICS_TOKEN: undefined,
  });
  expect(await registerTracing()).toBe(true);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

function spansReceived(): OtlpSpan[] {
  return received.flatMap((request) => request.body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
}

function attribute(span: OtlpSpan | undefined, key: string): string | number | undefined {
  const value = span?.attributes.find((entry) => entry.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
}

describe("exporting an attempt's trace", () => {
  it("reaches the collector at <endpoint>/v1/traces with the configured headers, the service name and the spans nested", async () => {
    const traceParent = startAttemptTrace({ id: "att_export", surface: "website" });
    const attempt = { id: "att_export", surface: "website" as const, traceParent };
    recordStep(attempt, "created");
    await withAttempt(attempt, async () => {
      observeWechatCall({
        endpoint: "https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx1&secret=s3cr3t&code=c0de",
        errcode: 40029,
        durationMs: 12,
        rid: "rid-1",
      });
    });
    recordStep(attempt, "code_exchanged", "failed", { errcode: 40029, rid: "rid-1" });

    await expect.poll(() => spansReceived().length, { timeout: 10_000 }).toBe(4);
    const spans = spansReceived();
    const root = spans.find((span) => span.name === "login.attempt");
    expect(root?.parentSpanId ?? "").toBe("");
    expect(traceParent).toBe(`00-${root?.traceId}-${root?.spanId}-01`);
    for (const name of ["login.created", "wechat.api", "login.code_exchanged"]) {
      const span = spans.find((candidate) => candidate.name === name);
      expect(span?.traceId).toBe(root?.traceId);
      expect(span?.parentSpanId).toBe(root?.spanId);
    }
    const call = spans.find((span) => span.name === "wechat.api");
    expect(attribute(call, "wechat.endpoint")).toBe("/sns/oauth2/access_token");
    expect(attribute(call, "wechat.errcode")).toBe("40029");
    expect(JSON.stringify(spans)).not.toMatch(/s3cr3t|c0de/);

    const [first] = received;
    expect(first?.path).toBe("/otlp/v1/traces");
    expect(first?.headers.authorization).toBe("Bearer collector-token");
    expect(first?.headers["content-type"]).toMatch(/^application\/json/);
    const resource = first?.body.resourceSpans[0]?.resource.attributes.find((entry) => entry.key === "service.name");
    expect(resource?.value.stringValue).toBe("login-under-test");
  });

  it("leaves the global tracer alone, so Next's own spans are not recorded", () => {
    const span = trace.getTracer("next.js").startSpan("BaseServer.handleRequest");
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});

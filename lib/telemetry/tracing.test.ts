/**
 * An attempt's trace as an OTLP backend would receive it (an in-memory exporter in the same
 * tracer provider the server installs), and what WeChat sees of it: nothing. The WeChat
 * calls go to the emulator over real HTTP, which records each request's headers.
 */
import type { IncomingHttpHeaders } from "node:http";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { WEB_APP } from "@/emulator/config";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { withEnv } from "@/lib/test/env";
import { WechatApiError } from "@/lib/wechat/api-client";
import { exchangeCode } from "@/lib/wechat/sns";
import { logger } from "@/lib/logger";
import { recordStep, startAttemptTrace, withAttempt } from "./index";
import { registerTracing } from "./register";

const exporter = new InMemorySpanExporter();
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, host: "127.0.0.1", onRequest: (request) => seen.push(request) });
  // The endpoint turns tracing on; nothing listens there, the spans go to the in-memory exporter only.
  withEnv({ WECHAT_EMULATOR_URL: emulator.url, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", METRICS_TOKEN: undefined });
  expect(await registerTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] })).toBe(true);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator.close();
});

beforeEach(() => {
  exporter.reset();
  seen.length = 0;
});

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe("an attempt's trace", () => {
  it("starts with a root span login.attempt whose traceparent is the one to store", () => {
    const traceParent = startAttemptTrace({ id: "att_1", surface: "official_account", createdAt: new Date(Date.now() - 10) });
    const [, traceId, spanId] = TRACEPARENT.exec(traceParent ?? "") ?? [];
    const [root] = spansNamed("login.attempt");
    expect(root?.spanContext()).toMatchObject({ traceId, spanId });
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.attributes).toMatchObject({ "login.attempt_id": "att_1", "login.surface": "official_account" });
  });

  it("puts each step under the stored parent, with outcome, errcode and rid", () => {
    const traceParent = startAttemptTrace({ id: "att_2", surface: "website" });
    const [, traceId, rootSpanId] = TRACEPARENT.exec(traceParent ?? "") ?? [];
    const attempt = { id: "att_2", surface: "website" as const, traceParent };
    recordStep(attempt, "created");
    recordStep(attempt, "code_exchanged", "failed", { errcode: 40163, rid: "645ca8fe-448ccd42-1a78a4b0" });
    const [created] = spansNamed("login.created");
    const [exchanged] = spansNamed("login.code_exchanged");
    for (const span of [created, exchanged]) {
      expect(span?.spanContext().traceId).toBe(traceId);
      expect(span?.parentSpanContext?.spanId).toBe(rootSpanId);
    }
    expect(created?.attributes).toMatchObject({ "login.attempt_id": "att_2", "login.surface": "website", "login.outcome": "ok" });
    expect(exchanged?.attributes).toMatchObject({ "login.outcome": "failed", "wechat.errcode": 40163, "wechat.rid": "645ca8fe-448ccd42-1a78a4b0" });
    expect(exchanged?.status.code).toBe(2);
  });

  it("records a step of an attempt stored without a trace as no span", () => {
    recordStep({ id: "att_3", surface: "website", traceParent: null }, "created");
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe("a WeChat call inside an attempt", () => {
  it("is a wechat.api span in the attempt's trace, its log lines name the attempt, and WeChat gets no trace context", async () => {
    const traceParent = startAttemptTrace({ id: "att_4", surface: "website" });
    const [, traceId, rootSpanId] = TRACEPARENT.exec(traceParent ?? "") ?? [];
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      await withAttempt({ id: "att_4", surface: "website", traceParent }, async () => {
        logger.warn("test.inside", { step: 1 });
        await expect(exchangeCode({ appId: WEB_APP.appid, secret: WEB_APP.secret }, "not-a-code-0123")).rejects.toBeInstanceOf(WechatApiError);
      });
      logger.warn("test.outside");
    } finally {
      spy.mockRestore();
    }

    const [call] = spansNamed("wechat.api");
    expect(call?.spanContext().traceId).toBe(traceId);
    expect(call?.parentSpanContext?.spanId).toBe(rootSpanId);
    expect(call?.attributes).toMatchObject({ "wechat.endpoint": "/sns/oauth2/access_token", "wechat.errcode": expect.stringMatching(/^4\d{4}$/) });
    const attributes = JSON.stringify(call?.attributes);
    for (const secret of [WEB_APP.secret, "not-a-code-0123", "access_token?"]) expect(attributes).not.toContain(secret);

    const inside = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside.find((line) => line.event === "test.inside")).toMatchObject({ attempt: "att_4", trace_id: traceId });
    expect(inside.find((line) => line.event === "wechat.api.errcode")).toMatchObject({ attempt: "att_4", trace_id: traceId });
    expect(inside.find((line) => line.event === "test.outside")).not.toHaveProperty("attempt");

    const toWechat = seen.filter((request) => request.path === "/sns/oauth2/access_token");
    expect(toWechat).toHaveLength(1);
    for (const request of toWechat) {
      expect(request.headers).not.toHaveProperty("traceparent");
      expect(request.headers).not.toHaveProperty("tracestate");
      expect(request.headers).not.toHaveProperty("baggage");
    }
  });
});

/**
 * One website QR sign-in as an operator's Prometheus and trace backend see it, driven through the
 * real route against the emulator over HTTP: the funnel's exact counts, and one trace holding the
 * attempt's root span, its steps and its WeChat calls, with WeChat's errcode on a failed exchange.
 * On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { beginWebsiteLogin } from "@/lib/login/website-qr";
import { renderMetrics } from "@/lib/telemetry";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { registerTracing } from "@/lib/telemetry/register";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { ROUTE_ORIGIN, routeRequest } from "@/lib/test/requests";

vi.mock("@/lib/auth", () => ({ auth: async () => null }));
const { GET } = await import("./route");

const exporter = new InMemorySpanExporter();
const emulator = useTestEmulator({
  callbackDomain: "localhost:3997",
  env: { METRICS_TOKEN: "callback-metrics-token-0123456789", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
});

async function signIn(user: string): Promise<Response> {
  const binding = randomToken(32);
  const begin = await beginWebsiteLogin({ form: "redirect", returnTo: "/account", bindingHash: sha256(binding), ip: null, origin: ROUTE_ORIGIN });
  const { redirect } = await emulator.scanWebsiteQr(begin.qrconnectUrl, user);
  const url = new URL(redirect);
  return GET(routeRequest(`${url.pathname}${url.search}`, { cookies: { [bindingCookieName()]: binding } }));
}

async function funnel(): Promise<string[]> {
  return (await renderMetrics()).body.split("\n").filter((line) => line.startsWith("wechat_login_funnel_total"));
}

describe.each(testDatabases())("a website sign-in's telemetry on $name", (database) => {
  beforeAll(async () => {
    await database.setUp();
    expect(await registerTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] })).toBe(true);
  });
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await emulator.reset();
    resetMetrics();
    exporter.reset();
  });

  it("counts each step once and puts the steps and WeChat calls in one trace", async () => {
    expect((await signIn("lin")).status).toBe(303);
    expect(await funnel()).toEqual([
      'wechat_login_funnel_total{surface="website",step="created",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="website",step="shown",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="website",step="code_exchanged",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="website",step="profile_fetched",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="website",step="person_resolved",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="website",step="signed_in",outcome="ok"} 1',
    ]);

    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === "login.attempt");
    expect(root?.attributes["login.surface"]).toBe("website");
    const inTrace = spans.filter((span) => span.spanContext().traceId === root?.spanContext().traceId);
    expect(inTrace.map((span) => span.name).sort()).toEqual(
      [
        "login.attempt",
        "login.created",
        "login.shown",
        "login.code_exchanged",
        "login.profile_fetched",
        "login.person_resolved",
        "login.signed_in",
        "wechat.api",
        "wechat.api",
      ].sort(),
    );
    expect(inTrace.filter((span) => span.name === "wechat.api").map((span) => span.attributes["wechat.endpoint"])).toEqual([
      "/sns/oauth2/access_token",
      "/sns/userinfo",
    ]);
  });

  it("counts a failed code exchange with WeChat's errcode on its span", async () => {
    await emulator.control("faults", { endpoint: "sns/oauth2/access_token", errcode: 40029 });
    expect((await signIn("zhang")).status).toBe(303);
    expect(await funnel()).toContain('wechat_login_funnel_total{surface="website",step="code_exchanged",outcome="failed"} 1');
    expect(await funnel()).not.toContain('wechat_login_funnel_total{surface="website",step="signed_in",outcome="ok"} 1');
    const failed = exporter.getFinishedSpans().find((span) => span.name === "login.code_exchanged");
    expect(failed?.attributes).toMatchObject({ "login.outcome": "failed", "wechat.errcode": 40029 });
    expect((await renderMetrics()).body).toContain('wechat_login_wechat_api_calls_total{endpoint="/sns/oauth2/access_token",errcode="40029"} 1');
  });
});

/**
 * The series a Prometheus scrape sees: their names and labels, nothing that names a person or an
 * attempt, and a bounded number of series whatever the traffic.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import {
  countMessageSend,
  countPush,
  countRateLimited,
  countTokenFetch,
  normalizeEndpoint,
  observeWechatCall,
  recordStep,
  renderMetrics,
  setQuotaGauges,
  setWaitingTickets,
  startAttemptTrace,
  trackStream,
  withAttempt,
  type LoginSurface,
} from "./index";
import { metrics, resetMetrics } from "./metrics";

const TOKEN = "metrics-token-0123456789abcdef";

restoreEnvAfterEach();

/** The scrape's sample lines (no comments), e.g. `wechat_login_funnel_total{surface="website",…} 3`. */
async function samples(): Promise<string[]> {
  return (await renderMetrics()).body.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
}

function seriesOf(lines: string[], name: string): string[] {
  return lines.filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

describe("with metrics off", () => {
  beforeEach(() => withEnv({ METRICS_TOKEN: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined }));

  it("records nothing and builds no registry", async () => {
    delete (globalThis as { __wechatLoginMetrics?: unknown }).__wechatLoginMetrics;
    recordStep({ id: "a1", surface: "website", createdAt: new Date() }, "created");
    observeWechatCall({ endpoint: "/sns/userinfo", errcode: 0, durationMs: 5 });
    countTokenFetch("fetch", "ok");
    countPush("subscribe", "ok");
    trackStream(1);
    countMessageSend("sms", "aliyun", "ok");
    countRateLimited("login.ip");
    setQuotaGauges([{ appId: "wx1", endpoint: "/cgi-bin/user/info", dailyLimit: 10, used: 1, remain: 9 }]);
    expect(startAttemptTrace({ id: "a1", surface: "website" })).toBeNull();
    expect(await withAttempt({ id: "a1", surface: "website" }, async () => 42)).toBe(42);
    expect((globalThis as { __wechatLoginMetrics?: unknown }).__wechatLoginMetrics).toBeUndefined();
  });
});

describe("with metrics on", () => {
  beforeEach(() => {
    withEnv({ METRICS_TOKEN: TOKEN });
    resetMetrics();
  });
  afterEach(() => resetMetrics());

  it("counts the funnel by surface, step and outcome, with step durations from the attempt's start", async () => {
    const attempt = { id: "attempt-1", surface: "official_account" as const, createdAt: new Date(Date.now() - 3_000) };
    recordStep(attempt, "created");
    recordStep(attempt, "shown");
    recordStep(attempt, "scanned");
    recordStep(attempt, "confirmed", "denied");
    const lines = await samples();
    expect(seriesOf(lines, "wechat_login_funnel_total")).toEqual([
      'wechat_login_funnel_total{surface="official_account",step="created",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="official_account",step="shown",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="official_account",step="scanned",outcome="ok"} 1',
      'wechat_login_funnel_total{surface="official_account",step="confirmed",outcome="denied"} 1',
    ]);
    expect(lines).toContain('wechat_login_step_duration_seconds_count{surface="official_account",step="confirmed"} 1');
    // Three seconds after the start: in the 5-second bucket, not the 2.5-second one.
    expect(lines).toContain('wechat_login_step_duration_seconds_bucket{le="2.5",surface="official_account",step="confirmed"} 0');
    expect(lines).toContain('wechat_login_step_duration_seconds_bucket{le="5",surface="official_account",step="confirmed"} 1');
  });

  it("counts WeChat calls by endpoint without query and errcode, and times them", async () => {
    observeWechatCall({ endpoint: "/sns/oauth2/access_token?appid=wx1&secret=s3cr3t&code=c0de", errcode: 0, durationMs: 40 });
    observeWechatCall({
      endpoint: "https://api.weixin.qq.com/sns/oauth2/access_token?code=other",
      errcode: 40029,
      durationMs: 30,
      rid: "645ca8fe-448ccd42-1a78a4b0",
    });
    observeWechatCall({ endpoint: "/cgi-bin/stable_token", errcode: "transport", durationMs: 10_000 });
    const lines = await samples();
    expect(seriesOf(lines, "wechat_login_wechat_api_calls_total")).toEqual([
      'wechat_login_wechat_api_calls_total{endpoint="/sns/oauth2/access_token",errcode="0"} 1',
      'wechat_login_wechat_api_calls_total{endpoint="/sns/oauth2/access_token",errcode="40029"} 1',
      'wechat_login_wechat_api_calls_total{endpoint="/cgi-bin/stable_token",errcode="transport"} 1',
    ]);
    expect(lines).toContain('wechat_login_wechat_api_duration_seconds_count{endpoint="/sns/oauth2/access_token"} 2');
    expect(lines).toContain('wechat_login_wechat_api_duration_seconds_sum{endpoint="/cgi-bin/stable_token"} 10');
    const scrape = (await renderMetrics()).body;
    for (const secret of ["s3cr3t", "c0de", "645ca8fe"]) expect(scrape).not.toContain(secret);
  });

  it("has the token, push, stream, message, limit, ticket and quota series", async () => {
    countTokenFetch("fetch", "ok");
    countTokenFetch("refresh", "error");
    countPush("SCAN", "ok");
    countPush("MASSSENDJOBFINISH", "ok");
    countPush("none", "signature");
    trackStream(1);
    trackStream(1);
    trackStream(-1);
    countMessageSend("sms", "aliyun", "ok");
    countMessageSend("email", "smtp", "refused");
    countRateLimited("login.ip");
    setWaitingTickets({ official_account: 3 });
    setQuotaGauges([{ appId: "wx1234567890abcdef", endpoint: "/cgi-bin/qrcode/create", dailyLimit: 100_000, used: 25, remain: 99_975 }]);
    const lines = await samples();
    expect(lines).toEqual(
      expect.arrayContaining([
        'wechat_login_access_token_fetches_total{kind="fetch",result="ok"} 1',
        'wechat_login_access_token_fetches_total{kind="refresh",result="error"} 1',
        'wechat_login_pushes_total{event="scan",verification="ok"} 1',
        'wechat_login_pushes_total{event="other",verification="ok"} 1',
        'wechat_login_pushes_total{event="none",verification="signature"} 1',
        "wechat_login_open_streams 1",
        'wechat_login_message_sends_total{channel="sms",provider="aliyun",result="ok"} 1',
        'wechat_login_message_sends_total{channel="email",provider="smtp",result="refused"} 1',
        'wechat_login_rate_limited_total{limit="login.ip"} 1',
        'wechat_login_waiting_tickets{surface="official_account"} 3',
        'wechat_login_waiting_tickets{surface="mini_program"} 0',
        'wechat_login_wechat_quota_limit{appid="wx1234567890abcdef",endpoint="/cgi-bin/qrcode/create"} 100000',
        'wechat_login_wechat_quota_used{appid="wx1234567890abcdef",endpoint="/cgi-bin/qrcode/create"} 25',
        'wechat_login_wechat_quota_remain{appid="wx1234567890abcdef",endpoint="/cgi-bin/qrcode/create"} 99975',
      ]),
    );
    setQuotaGauges([]);
    expect(seriesOf(await samples(), "wechat_login_wechat_quota_remain")).toEqual([]);
  });

  it("adds no series for 1000 attempts with different ids, users and rids", async () => {
    const surfaces: LoginSurface[] = ["website", "in_wechat", "official_account", "mini_program"];
    const once = async (count: number, offset: number) => {
      for (let i = offset; i < offset + count; i++) {
        const attempt = { id: `attempt-${i}`, surface: surfaces[i % 4]!, createdAt: new Date(Date.now() - i) };
        await withAttempt(attempt, async () => {
          recordStep(attempt, "created");
          recordStep(attempt, "signed_in", i % 7 === 0 ? "failed" : "ok", { errcode: 40029, rid: `rid-${i}`, reason: `user-${i}` });
          observeWechatCall({ endpoint: `/sns/userinfo?openid=o${i}&access_token=t${i}`, errcode: i % 2 ? 0 : 40003, durationMs: i % 50, rid: `rid-${i}` });
        });
      }
    };
    // 28 covers every surface × outcome × errcode combination the loop makes.
    await once(28, 0);
    const before = (await samples()).length;
    await once(1000, 28);
    const after = await samples();
    expect(after.length).toBe(before);
    expect(after.join("\n")).not.toMatch(/attempt-|rid-|user-|openid|access_token|o\d{2}/);
  });

  it("bounds labels: unknown surfaces, steps and ids in endpoint paths end up as other", async () => {
    recordStep({ id: "x", surface: "fax" as LoginSurface }, "faxed" as "created", "weird" as "ok");
    for (let i = 0; i < 100; i++) observeWechatCall({ endpoint: `/cgi-bin/user/${i}-${"x".repeat(i)}`, errcode: 0, durationMs: 1 });
    countMessageSend("sms", "a provider with spaces and a phone 13800138000", "ok");
    const lines = await samples();
    expect(seriesOf(lines, "wechat_login_funnel_total")).toEqual(['wechat_login_funnel_total{surface="other",step="other",outcome="other"} 1']);
    expect(seriesOf(lines, "wechat_login_wechat_api_calls_total").length).toBeLessThanOrEqual(41);
    expect(lines).toContain(
      'wechat_login_wechat_api_calls_total{endpoint="other",errcode="0"} ' + String(100 - (seriesOf(lines, "wechat_login_wechat_api_calls_total").length - 1)),
    );
    expect(lines).toContain('wechat_login_message_sends_total{channel="sms",provider="other",result="ok"} 1');
  });

  it("keeps one registry per process", () => {
    expect(metrics().registry).toBe(metrics().registry);
  });
});

describe("normalizeEndpoint", () => {
  it("keeps the path only", () => {
    expect(normalizeEndpoint("/sns/userinfo?access_token=t&openid=o")).toBe("/sns/userinfo");
    expect(normalizeEndpoint("https://api.weixin.qq.com/cgi-bin/stable_token")).toBe("/cgi-bin/stable_token");
    expect(normalizeEndpoint("cgi-bin/qrcode/create/")).toBe("/cgi-bin/qrcode/create");
  });
});

/**
 * The scrape endpoint as Prometheus and an attacker see it: absent without METRICS_TOKEN, 401
 * without exactly that bearer token, and otherwise the registry with the gauges read at scrape
 * (waiting tickets from the database, WeChat's quota), which a failing quota read cannot break.
 * On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { recordStep } from "@/lib/telemetry";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withEnv } from "@/lib/test/env";
import { startTicket } from "@/lib/test/tickets";
import type { QuotaReading } from "@/lib/wechat/diagnostics";
import { GET } from "./route";

const readQuotas = vi.hoisted(() => vi.fn<() => Promise<QuotaReading[]>>(async () => []));
vi.mock("@/lib/wechat/diagnostics", () => ({ readQuotas }));

const TOKEN = "scrape-token-0123456789abcdefgh";
useTestEmulator({ callbackDomain: "localhost:3989" });

function scrape(authorization?: string): Promise<Response> {
  return GET(new Request("http://localhost:3989/api/metrics", authorization === undefined ? {} : { headers: { authorization } }));
}

describe("without METRICS_TOKEN", () => {
  it("is not there, whatever the request carries", async () => {
    withEnv({ METRICS_TOKEN: undefined });
    expect((await scrape()).status).toBe(404);
    expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(404);
  });
});

describe.each(testDatabases())("with METRICS_TOKEN on $name", (database) => {
  beforeAll(async () => {
    await database.setUp();
    withEnv({ METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    withEnv({ METRICS_TOKEN: undefined });
    await database.tearDown();
  });
  beforeEach(() => {
    resetMetrics();
    readQuotas.mockReset();
    readQuotas.mockResolvedValue([]);
  });

  it("refuses a scrape without exactly the bearer token", async () => {
    for (const header of [undefined, "", "Bearer", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `bearer  ${TOKEN}`, `Basic ${TOKEN}`, TOKEN]) {
      const response = await scrape(header);
      expect(response.status, String(header)).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      expect(await response.text()).not.toContain("wechat_login_");
    }
  });

  it("answers the registry in Prometheus' text format, with waiting tickets and WeChat's quota read at scrape", async () => {
    recordStep({ id: "a", surface: "website", createdAt: new Date() }, "created");
    await startTicket();
    await startTicket();
    const readAt = new Date();
    readQuotas.mockResolvedValue([
      {
        appId: "wxoa",
        appKey: "oa",
        kind: "official_account",
        endpoint: "/cgi-bin/qrcode/create",
        ok: true,
        status: "ok",
        dailyLimit: 100_000,
        used: 2,
        remain: 99_998,
        readAt,
      },
      {
        appId: "wxoa",
        appKey: "oa",
        kind: "official_account",
        endpoint: "/cgi-bin/user/info",
        ok: false,
        status: "failed",
        errorCode: "upstream_unavailable",
        readAt,
      },
    ]);
    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.text();
    expect(body).toContain('wechat_login_funnel_total{surface="website",step="created",outcome="ok"} 1');
    expect(body).toContain('wechat_login_waiting_tickets{surface="official_account"} 2');
    expect(body).toContain('wechat_login_wechat_quota_remain{appid="wxoa",endpoint="/cgi-bin/qrcode/create"} 99998');
    expect(body).not.toContain('endpoint="/cgi-bin/user/info"');
  });

  it("still answers when reading the quota fails, keeping the last readings", async () => {
    readQuotas.mockResolvedValueOnce([
      {
        appId: "wxoa",
        appKey: "oa",
        kind: "official_account",
        endpoint: "/cgi-bin/stable_token",
        ok: true,
        status: "ok",
        dailyLimit: 2000,
        used: 1,
        remain: 1999,
        readAt: new Date(),
      },
    ]);
    expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(200);
    readQuotas.mockRejectedValueOnce(new Error("WeChat is down"));
    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('wechat_login_wechat_quota_remain{appid="wxoa",endpoint="/cgi-bin/stable_token"} 1999');
  });
});

/**
 * The sign-in's gauges and counters outside the funnel, as a scrape sees them: a refused start
 * counted by its limit's name (never its key), a live-status stream open while it is watched, and
 * a code sent by SMS. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getEnv } from "@/lib/env";
import { createSmsSender } from "@/lib/messaging";
import { renderMetrics } from "@/lib/telemetry";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withDefaultLimits, withEnv } from "@/lib/test/env";
import { startTicket } from "@/lib/test/tickets";
import { takeLoginLimits } from "./limits";
import { watchTicketLeased } from "./ticket-watch";

useTestEmulator({ callbackDomain: "localhost:3986", env: { METRICS_TOKEN: "login-metrics-token-0123456789ab" } });

async function samples(): Promise<string[]> {
  return (await renderMetrics()).body.split("\n").filter((line) => line.startsWith("wechat_login_"));
}

describe.each(testDatabases())("the sign-in's other series on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => resetMetrics());

  it("counts a refused start by the limit's name, not the browser or address", async () => {
    withEnv({ LIMIT_LOGIN_PER_BROWSER: "1" });
    try {
      expect((await takeLoginLimits("browser-hash-1", "198.51.100.30")).ok).toBe(true);
      expect((await takeLoginLimits("browser-hash-1", "198.51.100.30")).ok).toBe(false);
    } finally {
      withDefaultLimits();
    }
    const lines = await samples();
    expect(lines.filter((line) => line.startsWith("wechat_login_rate_limited_total"))).toEqual(['wechat_login_rate_limited_total{limit="login.browser"} 1']);
    expect(lines.join("\n")).not.toMatch(/browser-hash-1|198\.51\.100\.30/);
  });

  it("has a stream open while a browser watches its ticket, and none after", async () => {
    const { ticket, bindingHash } = await startTicket();
    const chunks: string[] = [];
    const leased = await watchTicketLeased(ticket.id, bindingHash, "198.51.100.31", { write: (chunk) => void chunks.push(chunk), end: () => {} });
    expect(leased.kind).toBe("watching");
    expect(await samples()).toContain("wechat_login_open_streams 1");
    if (leased.kind === "watching") leased.watch.close();
    expect(await samples()).toContain("wechat_login_open_streams 0");
  });

  it("counts an SMS sent, by channel, provider and result", async () => {
    await createSmsSender(getEnv().messaging).sendCode({ to: "+8613800138000", code: "123456", ttlMinutes: 10, locale: "zh-CN" });
    const lines = await samples();
    expect(lines).toContain('wechat_login_message_sends_total{channel="sms",provider="outbox",result="ok"} 1');
    expect(lines.join("\n")).not.toContain("13800138000");
  });
});

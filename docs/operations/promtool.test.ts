/**
 * The operations files checked by Prometheus' own tool (`promtool`, Debian's `prometheus` package;
 * .ci/run installs it): the alert rules parse and each fires on its test traffic, a real scrape of
 * /api/metrics after some sign-in activity passes `promtool check metrics`, and every query of the
 * Grafana dashboard parses and names only series that scrape has.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET } from "@/app/api/metrics/route";
import {
  countMessageSend,
  countPush,
  countRateLimited,
  countTokenFetch,
  observeWechatCall,
  recordStep,
  trackStream,
  type FunnelStep,
  type LoginSurface,
} from "@/lib/telemetry";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { testDatabases } from "@/lib/test/databases";
import { withEnv } from "@/lib/test/env";
import type { QuotaReading } from "@/lib/wechat/diagnostics";

const readQuotas = vi.hoisted(() => vi.fn<() => Promise<QuotaReading[]>>(async () => []));
vi.mock("@/lib/wechat/diagnostics", () => ({ readQuotas }));

const HERE = path.dirname(new URL(import.meta.url).pathname);
const TOKEN = "promtool-token-0123456789abcdef";
const [database] = testDatabases();

function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", args, { cwd: HERE, input, encoding: "utf8", timeout: 60_000 });
  if (run.error) throw new Error(`promtool: ${run.error.message} (install Debian's prometheus package: apt-get install -y --no-install-recommends prometheus)`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A scrape after a few sign-ins of each kind, failures, WeChat errcodes and the rest. */
async function scrapeAfterActivity(): Promise<string> {
  resetMetrics();
  const createdAt = new Date(Date.now() - 4_000);
  const steps: [LoginSurface, FunnelStep[]][] = [
    ["website", ["created", "shown", "code_exchanged", "profile_fetched", "person_resolved", "signed_in"]],
    ["official_account", ["created", "shown", "scanned", "confirmed", "person_resolved", "signed_in"]],
  ];
  for (const [surface, path] of steps) for (const step of path) recordStep({ id: `a-${surface}`, surface, createdAt }, step);
  recordStep({ id: "a-failed", surface: "mini_program", createdAt }, "scanned", "failed", { errcode: 40029 });
  observeWechatCall({ endpoint: "/sns/oauth2/access_token", errcode: 0, durationMs: 35 });
  observeWechatCall({ endpoint: "/sns/oauth2/access_token", errcode: 40163, durationMs: 20, rid: "6571f0a2-1b2c3d4e-5f6a7b8c" });
  observeWechatCall({ endpoint: "/cgi-bin/qrcode/create", errcode: "transport", durationMs: 5_000 });
  countTokenFetch("fetch", "ok");
  countTokenFetch("refresh", "error");
  countPush("SCAN", "ok");
  countPush("none", "signature");
  trackStream(1);
  countMessageSend("sms", "aliyun", "ok");
  countRateLimited("login.ip");
  readQuotas.mockResolvedValue([
    {
      appId: "wxoa",
      appKey: "oa",
      kind: "official_account",
      endpoint: "/cgi-bin/qrcode/create",
      ok: true,
      status: "ok",
      dailyLimit: 100_000,
      used: 3,
      remain: 99_997,
      readAt: new Date(),
    },
  ]);
  const response = await GET(new Request("http://localhost/api/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }));
  expect(response.status).toBe(200);
  return response.text();
}

describe("the alert rules", () => {
  it("pass promtool check rules", () => {
    const run = promtool(["check", "rules", "alerts.yml"]);
    expect(run.output).toContain("SUCCESS: 4 rules found");
    expect(run.status).toBe(0);
  });

  it("each fire on their test traffic (promtool test rules)", () => {
    const run = promtool(["test", "rules", "alerts.test.yml"]);
    expect(run.output).toContain("SUCCESS");
    expect(run.status).toBe(0);
  });
});

describe("a scrape of /api/metrics", () => {
  let scrape = "";
  beforeAll(async () => {
    await database!.setUp();
    withEnv({ METRICS_TOKEN: TOKEN });
    scrape = await scrapeAfterActivity();
  });
  afterAll(async () => {
    withEnv({ METRICS_TOKEN: undefined });
    await database!.tearDown();
  });

  it("passes promtool check metrics, lint included", () => {
    const run = promtool(["check", "metrics"], scrape);
    expect(run.output).toBe("");
    expect(run.status).toBe(0);
  });

  it("has every series the alerts and the dashboard query", () => {
    const names = new Set(scrape.split("\n").flatMap((line) => /^(wechat_login_\w+)/.exec(line)?.[1] ?? []));
    const dashboard = readFileSync(path.join(HERE, "grafana-dashboard.json"), "utf8");
    const alerts = readFileSync(path.join(HERE, "alerts.yml"), "utf8");
    const queried = new Set([...`${dashboard}\n${alerts}`.matchAll(/wechat_login_\w+/g)].map((match) => match[0]));
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((name) => !names.has(name))).toEqual([]);
  });

  it("is what each dashboard query parses as PromQL (promtool check rules on them as recording rules)", () => {
    const dashboard = JSON.parse(readFileSync(path.join(HERE, "grafana-dashboard.json"), "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(queries.length).toBeGreaterThanOrEqual(13);
    // Grafana's variables, as Grafana substitutes them.
    const rules = queries.map((expr, index) => ({
      record: `dashboard:query_${index}`,
      expr: expr.replaceAll("$__rate_interval", "1m").replaceAll("$__range", "1d").replaceAll("$surface", ".*"),
    }));
    const dir = mkdtempSync(path.join(tmpdir(), "wxlogin-dashboard-"));
    try {
      const file = path.join(dir, "dashboard-queries.json");
      // YAML is a superset of JSON, so promtool reads this file as a rules file.
      writeFileSync(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
      const run = promtool(["check", "rules", file]);
      expect(run.output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The telemetry part of `npm run bench:login`: our login flow against three servers of the same
 * build, the same emulator and the same database, differing only in telemetry:
 *
 * - off: no METRICS_TOKEN, no OTLP endpoint (the default);
 * - metrics: METRICS_TOKEN set, and /api/metrics scraped every SCRAPE_INTERVAL_MS during its rounds;
 * - metrics + traces: also OTEL_EXPORTER_OTLP_ENDPOINT, pointing at a local OTLP/HTTP sink started
 *   here, which accepts every export and counts it.
 *
 * The three run in rounds whose order rotates (off/metrics/traces, metrics/traces/off, …) so that
 * drift on the machine hits all three alike. The report gives each one's throughput and callback
 * latency and their ratio to "off"; the target is less than 5% throughput cost.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { rmSync } from "node:fs";
import { startApp, type ChildEnv, type RunningApp } from "./app-server";
import { BENCH_USERS, runLogin, type FlowTarget, type LoginResult } from "./login-flows";
import { addResults, createTally, failureRate, percentile, renderReasons, throughputOf, type Tally } from "./stats";

export const TELEMETRY_MODES = ["off", "metrics", "metrics + traces"] as const;
export type TelemetryMode = (typeof TELEMETRY_MODES)[number];

/** Prometheus scrapes every 15 s by default; scraping far more often makes the measured cost an upper bound. */
const SCRAPE_INTERVAL_MS = 2_000;

type OtlpSink = { url: string; requests: number; bytes: number; close(): Promise<void> };

/** An OTLP/HTTP receiver that accepts everything (an empty 200 is a valid export response) and counts it. */
async function startOtlpSink(): Promise<OtlpSink> {
  const sink = { url: "", requests: 0, bytes: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    req.on("data", (chunk: Buffer) => (sink.bytes += chunk.length));
    req.on("end", () => {
      if (req.method === "POST" && req.url?.startsWith("/v1/traces")) sink.requests++;
      res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

type Scraper = { scrapes: number; failures: number; lastBody: string; stop(): Promise<void> };

/** Scrapes `app`'s /api/metrics every SCRAPE_INTERVAL_MS until stopped, as a Prometheus would. */
function startScraping(app: RunningApp, token: string): Scraper {
  const scraper: Scraper = { scrapes: 0, failures: 0, lastBody: "", stop: async () => {} };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${app.url}/api/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
        const body = await response.text();
        if (response.ok) {
          scraper.scrapes++;
          scraper.lastBody = body;
        } else scraper.failures++;
      } catch {
        scraper.failures++;
      }
      await new Promise((resolve) => setTimeout(resolve, SCRAPE_INTERVAL_MS));
    }
  })();
  scraper.stop = async () => {
    stopped = true;
    await loop;
  };
  return scraper;
}

async function runBatch(count: number, concurrency: number, target: FlowTarget, rotation: { next: number }) {
  const results: LoginResult[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const user = BENCH_USERS[rotation.next++ % BENCH_USERS.length]!;
      results.push(await runLogin("ours", target, user));
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { results, elapsedMs: performance.now() - begun };
}

export type TelemetryInput = {
  ports: readonly number[];
  emulatorUrl: string;
  /** The app's environment for `port` and `pgliteDir` (run-setup's buildAppEnv). */
  envFor(port: number, pgliteDir: string): ChildEnv;
  logins: number;
  rounds: number;
  warmup: number;
  concurrency: number;
  timeoutMs: number;
  usesPglite: boolean;
  serverLog(mode: number): string;
};

export type TelemetryRun = { tallies: Map<TelemetryMode, Tally>; notes: string[] };

/** Starts the three servers, runs the rotated rounds, stops everything; returns the tallies and what the telemetry saw. */
export async function runTelemetryComparison(input: TelemetryInput): Promise<TelemetryRun> {
  const sink = await startOtlpSink();
  const token = randomBytes(24).toString("hex");
  const apps: RunningApp[] = [];
  const tallies = new Map<TelemetryMode, Tally>(TELEMETRY_MODES.map((mode) => [mode, createTally("ours")]));
  const scrapers: Scraper[] = [];
  try {
    for (const [index, mode] of TELEMETRY_MODES.entries()) {
      const port = input.ports[index]!;
      const pgliteDir = `.data/bench-pglite-telemetry-${index}`;
      if (input.usesPglite) rmSync(pgliteDir, { recursive: true, force: true });
      const env = input.envFor(port, pgliteDir);
      delete env.METRICS_TOKEN;
      delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      if (mode !== "off") env.METRICS_TOKEN = token;
      if (mode === "metrics + traces") Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: "wechat-login-bench" });
      apps.push(await startApp({ port, env, logFile: input.serverLog(index) }));
    }
    const targets = apps.map((app) => ({ appUrl: app.url, emulatorUrl: input.emulatorUrl, timeoutMs: input.timeoutMs }));
    const rotations = TELEMETRY_MODES.map(() => ({ next: 0 }));

    if (input.warmup > 0) {
      for (const [index, mode] of TELEMETRY_MODES.entries()) {
        const { results } = await runBatch(input.warmup, input.concurrency, targets[index]!, rotations[index]!);
        console.log(`telemetry warmup  ${mode.padEnd(16)} ${results.length} logins, ${results.filter((result) => !result.ok).length} failed`);
      }
    }

    const perRound = Array.from(
      { length: input.rounds },
      (_, round) => Math.floor(input.logins / input.rounds) + (round < input.logins % input.rounds ? 1 : 0),
    );
    for (const [round, size] of perRound.entries()) {
      if (size === 0) continue;
      for (let step = 0; step < TELEMETRY_MODES.length; step++) {
        const index = (round + step) % TELEMETRY_MODES.length;
        const mode = TELEMETRY_MODES[index]!;
        const scraper = mode === "off" ? undefined : startScraping(apps[index]!, token);
        if (scraper) scrapers.push(scraper);
        const { results, elapsedMs } = await runBatch(size, input.concurrency, targets[index]!, rotations[index]!);
        await scraper?.stop();
        addResults(tallies.get(mode)!, results, elapsedMs);
        const failed = results.filter((result) => !result.ok).length;
        console.log(
          `telemetry round ${round + 1}/${input.rounds} ${mode.padEnd(16)} ${results.length} logins, ${failed} failed, ${((results.length - failed) / (elapsedMs / 1000)).toFixed(1)} logins/s`,
        );
      }
    }

    const lastScrape = scrapers.at(-1)?.lastBody ?? "";
    const funnelSeries = lastScrape.split("\n").filter((line) => line.startsWith("wechat_login_")).length;
    const notes = [
      `metrics: ${scrapers.reduce((sum, scraper) => sum + scraper.scrapes, 0)} scrapes (every ${SCRAPE_INTERVAL_MS / 1000} s during the rounds), ` +
        `${scrapers.reduce((sum, scraper) => sum + scraper.failures, 0)} failed; the last had ${funnelSeries} wechat_login_ samples`,
      `traces: the OTLP sink received ${sink.requests} export requests, ${(sink.bytes / 1024).toFixed(0)} KiB`,
    ];
    return { tallies, notes };
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await sink.close();
  }
}

function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** The markdown table: each mode with its ratio to "off". */
export function renderTelemetryTable(tallies: Map<TelemetryMode, Tally>): string {
  const off = tallies.get("off")!;
  const lines = [
    "| telemetry | logins | failures | logins/s | throughput vs off | callback p50 (ms) | callback p99 (ms) | p50 vs off |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [mode, tally] of tallies) {
    const p50 = percentile(tally.callbackMs, 50);
    lines.push(
      `| ${mode} | ${tally.logins} | ${tally.failures} | ${formatNumber(throughputOf(tally), 1)} | ${formatNumber(throughputOf(tally) / throughputOf(off), 3)}× | ` +
        `${formatNumber(p50, 1)} | ${formatNumber(percentile(tally.callbackMs, 99), 1)} | ${formatNumber(p50 / percentile(off.callbackMs, 50), 3)}× |`,
    );
  }
  const worst = Math.min(...[...tallies.values()].map((tally) => throughputOf(tally) / throughputOf(off)));
  lines.push("", `throughput cost of telemetry (worst mode): ${formatNumber((1 - worst) * 100, 1)}% (target < 5%)`);
  return lines.join("\n");
}

export function telemetryFailures(tallies: Map<TelemetryMode, Tally>, maxRate: number): string[] {
  return [...tallies.entries()].flatMap(([mode, tally]) =>
    failureRate(tally) > maxRate ? [`telemetry ${mode}: ${(failureRate(tally) * 100).toFixed(1)}% of logins failed`] : [],
  );
}

export function telemetryReasons(tallies: Map<TelemetryMode, Tally>): string[] {
  return [...tallies.entries()].flatMap(([mode, tally]) => renderReasons(tally).map((line) => line.replace("ours:", `${mode}:`)));
}

/**
 * The telemetry part of `npm run bench:login`: our login flow against four servers of the same
 * build and the same emulator, each on its own database, differing only in telemetry:
 *
 * - off: no METRICS_TOKEN, no OTLP endpoint (the default);
 * - off (A/A): the same again, on a server of its own, for the noise floor;
 * - metrics: METRICS_TOKEN set, and /api/metrics scraped every SCRAPE_INTERVAL_MS during its rounds;
 * - metrics + traces: also OTEL_EXPORTER_OTLP_ENDPOINT, pointing at a local OTLP/HTTP sink started
 *   here, which accepts every export and counts it.
 *
 * They run in rounds whose order rotates so that drift on the machine hits all alike, over several
 * sessions of freshly started servers. The report gives each one's throughput, server CPU per login
 * and callback latency, and their ratio to "off"; the target is less than 5% throughput cost.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { rmSync } from "node:fs";
import { startApp, type ChildEnv, type RunningApp } from "./app-server";
import { cpuTimeMs } from "./process-memory";
import { BENCH_USERS, runLogin, type FlowTarget, type LoginResult } from "./login-flows";
import { addResults, createTally, failureRate, percentile, renderReasons, throughputOf, type Tally } from "./stats";

/**
 * "off (A/A)" is a second server configured exactly like "off": how far it lands from "off" is how
 * far two identical servers drift apart in this run, the noise floor to read the other rows against.
 */
export const TELEMETRY_MODES = ["off", "off (A/A)", "metrics", "metrics + traces"] as const;
export type TelemetryMode = (typeof TELEMETRY_MODES)[number];

const isTelemetryOff = (mode: TelemetryMode): boolean => mode === "off" || mode === "off (A/A)";

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
  /** Measured logins per mode in each session. */
  logins: number;
  rounds: number;
  sessions: number;
  warmup: number;
  concurrency: number;
  timeoutMs: number;
  usesPglite: boolean;
  serverLog(mode: number): string;
};

/** What one mode cost its server: CPU time (user + system) over its measured rounds, and each round's throughput. */
export type ServerCost = { cpuMs: number; roundThroughputs: number[] };

export type TelemetryRun = { tallies: Map<TelemetryMode, Tally>; costs: Map<TelemetryMode, ServerCost>; notes: string[] };

/** Starts the servers of one session, runs its warmup and rotated rounds, stops the servers. */
async function runSession(
  input: TelemetryInput,
  session: number,
  shared: { token: string; sink: OtlpSink; tallies: Map<TelemetryMode, Tally>; costs: Map<TelemetryMode, ServerCost>; scrapers: Scraper[] },
): Promise<void> {
  const apps: RunningApp[] = [];
  try {
    for (const [index, mode] of TELEMETRY_MODES.entries()) {
      // Each session moves every mode to another port and database directory, so no slot favours one mode.
      const slot = (index + session) % TELEMETRY_MODES.length;
      const port = input.ports[slot]!;
      const pgliteDir = `.data/bench-pglite-telemetry-${slot}`;
      if (input.usesPglite) rmSync(pgliteDir, { recursive: true, force: true });
      const env = input.envFor(port, pgliteDir);
      delete env.METRICS_TOKEN;
      delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
      delete env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      if (!isTelemetryOff(mode)) env.METRICS_TOKEN = shared.token;
      if (mode === "metrics + traces") Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: shared.sink.url, OTEL_SERVICE_NAME: "wechat-login-bench" });
      apps.push(await startApp({ port, env, logFile: input.serverLog(slot) }));
    }
    const targets = apps.map((app) => ({ appUrl: app.url, emulatorUrl: input.emulatorUrl, timeoutMs: input.timeoutMs }));
    const rotations = TELEMETRY_MODES.map(() => ({ next: 0 }));
    const label = `session ${session + 1}/${input.sessions}`;

    if (input.warmup > 0) {
      for (const [index, mode] of TELEMETRY_MODES.entries()) {
        const { results } = await runBatch(input.warmup, input.concurrency, targets[index]!, rotations[index]!);
        console.log(`telemetry ${label} warmup   ${mode.padEnd(16)} ${results.length} logins, ${results.filter((result) => !result.ok).length} failed`);
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
        const serverPid = apps[index]!.pid;
        const scraper = isTelemetryOff(mode) ? undefined : startScraping(apps[index]!, shared.token);
        if (scraper) shared.scrapers.push(scraper);
        const cpuBefore = serverPid === undefined ? Number.NaN : cpuTimeMs(serverPid);
        const { results, elapsedMs } = await runBatch(size, input.concurrency, targets[index]!, rotations[index]!);
        // Read before the scraper stops: its last scrape belongs to the round.
        const cpuUsed = serverPid === undefined ? Number.NaN : cpuTimeMs(serverPid) - cpuBefore;
        await scraper?.stop();
        addResults(shared.tallies.get(mode)!, results, elapsedMs);
        const failed = results.filter((result) => !result.ok).length;
        const throughput = (results.length - failed) / (elapsedMs / 1000);
        const cost = shared.costs.get(mode)!;
        cost.cpuMs += cpuUsed;
        cost.roundThroughputs.push(throughput);
        console.log(
          `telemetry ${label} round ${round + 1}/${input.rounds} ${mode.padEnd(16)} ${results.length} logins, ${failed} failed, ${throughput.toFixed(1)} logins/s, ` +
            `server CPU ${(cpuUsed / Math.max(1, results.length - failed)).toFixed(1)} ms/login`,
        );
      }
    }
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
  }
}

/**
 * Runs `sessions` sessions, each on freshly started servers (one per mode), and adds them up. Two
 * servers of the very same configuration differ by a few percent on their own (each is its own
 * process with its own embedded database; one session's A/A pair differed by 4%), so one session
 * cannot resolve a 5% budget; fresh servers per session, on rotated slots, average that out.
 */
export async function runTelemetryComparison(input: TelemetryInput): Promise<TelemetryRun> {
  const sink = await startOtlpSink();
  const shared = {
    token: randomBytes(24).toString("hex"),
    sink,
    tallies: new Map<TelemetryMode, Tally>(TELEMETRY_MODES.map((mode) => [mode, createTally("ours")])),
    costs: new Map<TelemetryMode, ServerCost>(TELEMETRY_MODES.map((mode) => [mode, { cpuMs: 0, roundThroughputs: [] }])),
    scrapers: [] as Scraper[],
  };
  try {
    for (let session = 0; session < input.sessions; session++) await runSession(input, session, shared);
    const lastScrape = shared.scrapers.at(-1)?.lastBody ?? "";
    const funnelSeries = lastScrape.split("\n").filter((line) => line.startsWith("wechat_login_")).length;
    const notes = [
      `metrics: ${shared.scrapers.reduce((sum, scraper) => sum + scraper.scrapes, 0)} scrapes (every ${SCRAPE_INTERVAL_MS / 1000} s during the rounds), ` +
        `${shared.scrapers.reduce((sum, scraper) => sum + scraper.failures, 0)} failed; the last had ${funnelSeries} wechat_login_ samples`,
      `traces: the OTLP sink received ${sink.requests} export requests, ${(sink.bytes / 1024).toFixed(0)} KiB`,
    ];
    return { tallies: shared.tallies, costs: shared.costs, notes };
  } finally {
    await sink.close();
  }
}

function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Server CPU per successful login of one mode, in ms. */
function cpuPerLogin(tally: Tally, cost: ServerCost): number {
  const succeeded = tally.logins - tally.failures;
  return succeeded > 0 ? cost.cpuMs / succeeded : Number.NaN;
}

/**
 * The median over rounds of a mode's throughput ÷ "off"'s in the same round. Rounds run back to
 * back, so a pair shares the machine's state of the moment; the median drops a round that a burst
 * of other load hit.
 */
function pairedThroughputRatio(mode: ServerCost, off: ServerCost): number {
  return median(mode.roundThroughputs.map((throughput, round) => throughput / off.roundThroughputs[round]!));
}

/** The markdown table: each mode with its ratios to "off". */
export function renderTelemetryTable(tallies: Map<TelemetryMode, Tally>, costs: Map<TelemetryMode, ServerCost>): string {
  const off = tallies.get("off")!;
  const offCost = costs.get("off")!;
  const lines = [
    "| telemetry | logins | failures | logins/s | throughput vs off | paired rounds vs off (median) | server CPU per login (ms) | CPU vs off | callback p50 (ms) | callback p99 (ms) | p50 vs off |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  const throughputRatios: number[] = [];
  const cpuRatios: number[] = [];
  for (const [mode, tally] of tallies) {
    const cost = costs.get(mode)!;
    const p50 = percentile(tally.callbackMs, 50);
    const cpuRatio = cpuPerLogin(tally, cost) / cpuPerLogin(off, offCost);
    const paired = pairedThroughputRatio(cost, offCost);
    if (!isTelemetryOff(mode)) {
      throughputRatios.push(throughputOf(tally) / throughputOf(off), paired);
      cpuRatios.push(cpuRatio);
    }
    lines.push(
      `| ${mode} | ${tally.logins} | ${tally.failures} | ${formatNumber(throughputOf(tally), 1)} | ${formatNumber(throughputOf(tally) / throughputOf(off), 3)}× | ` +
        `${formatNumber(paired, 3)}× | ${formatNumber(cpuPerLogin(tally, cost), 1)} | ${formatNumber(cpuRatio, 3)}× | ` +
        `${formatNumber(p50, 1)} | ${formatNumber(percentile(tally.callbackMs, 99), 1)} | ${formatNumber(p50 / percentile(off.callbackMs, 50), 3)}× |`,
    );
  }
  lines.push(
    "",
    `throughput cost of telemetry (worst mode, whole run or median of paired rounds): ${formatNumber((1 - Math.min(...throughputRatios)) * 100, 1)}% (target < 5%)`,
    `server CPU per login (worst mode): ${formatNumber((Math.max(...cpuRatios) - 1) * 100, 1)}% more than "off"`,
  );
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

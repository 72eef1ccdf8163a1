/**
 * `npm run bench:login`: our WeChat login against the stock Auth.js WeChat provider, in one
 * production build, one emulator and one database, through the full HTTP flow of each.
 * Prints a markdown table; exits non-zero only when a path fails more than 5% of its logins.
 * Timings are for reading, never for CI pass/fail.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { startEmulator, type RunningEmulator } from "../emulator/server";
import { findFreePort, startApp, stopAllChildren, type RunningApp } from "./app-server";
import { BENCH_USERS, PROVIDERS, runLogin, type FlowTarget, type LoginResult, type Provider } from "./login-flows";
import { parseBenchOptions, USAGE, type BenchOptions } from "./options";
import { buildAppEnv, describeDatabase, describeMachine, formatLoad, prepareApp } from "./run-setup";
import { addResults, createTally, failureRate, renderRatios, renderReasons, renderTable, type Tally } from "./stats";
import { renderTelemetryTable, runTelemetryComparison, TELEMETRY_MODES, telemetryFailures, telemetryReasons } from "./telemetry";

const PGLITE_DIR = ".data/bench-pglite";
const BUILD_LOG = ".data/bench-build.log";
const SERVER_LOG = ".data/bench-server.log";
const MAX_FAILURE_RATE = 0.05;

/** Runs `count` logins of one provider with `concurrency` virtual users; users rotate lin → zhang → li. */
async function runBatch(provider: Provider, count: number, options: BenchOptions, target: FlowTarget, rotation: { next: number }) {
  const results: LoginResult[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const user = BENCH_USERS[rotation.next++ % BENCH_USERS.length]!;
      results.push(await runLogin(provider, target, user));
    }
  };
  const begun = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  return { results, elapsedMs: performance.now() - begun };
}

/** Splits `total` into `rounds` near-equal parts, dropping empty ones. */
function splitIntoRounds(total: number, rounds: number): number[] {
  return Array.from({ length: rounds }, (_, index) => Math.floor(total / rounds) + (index < total % rounds ? 1 : 0)).filter((size) => size > 0);
}

/** A/B/B/A/A/B/B/A…: each pair swaps who goes first, so linear drift (caches, the database growing) hits both alike. */
function orderOfRounds(roundCount: number): Provider[] {
  const order: Provider[] = [];
  for (let pair = 0; pair < roundCount; pair++) order.push(...(pair % 2 === 0 ? PROVIDERS : [...PROVIDERS].reverse()));
  return order;
}

function printPhase(label: string, provider: Provider, results: readonly LoginResult[], elapsedMs: number): void {
  const failed = results.filter((result) => !result.ok).length;
  const rate = (results.length - failed) / (elapsedMs / 1000);
  console.log(`${label} ${provider.padEnd(5)} ${String(results.length).padStart(4)} logins, ${failed} failed, ${rate.toFixed(1)} logins/s`);
}

async function runBenchmark(options: BenchOptions, target: FlowTarget): Promise<Tally[]> {
  const rotations: Record<Provider, { next: number }> = { ours: { next: 0 }, stock: { next: 0 } };

  if (options.warmup > 0) {
    const warmup = PROVIDERS.map(createTally);
    for (const tally of warmup) {
      const { results, elapsedMs } = await runBatch(tally.provider, options.warmup, options, target, rotations[tally.provider]);
      addResults(tally, results, elapsedMs);
      printPhase("warmup   ", tally.provider, results, elapsedMs);
    }
    const reasons = warmup.flatMap((tally) => renderReasons(tally));
    if (reasons.length) console.log(["warmup failures (not counted below):", ...reasons].join("\n"));
  }

  const measured = new Map<Provider, Tally>(PROVIDERS.map((provider) => [provider, createTally(provider)]));
  const sizes = splitIntoRounds(options.logins, options.rounds);
  const order = orderOfRounds(sizes.length);
  const roundOf: Record<Provider, number> = { ours: 0, stock: 0 };
  for (const [index, provider] of order.entries()) {
    const size = sizes[roundOf[provider]++]!;
    const { results, elapsedMs } = await runBatch(provider, size, options, target, rotations[provider]);
    addResults(measured.get(provider)!, results, elapsedMs);
    printPhase(`round ${String(index + 1).padStart(2)}/${order.length}`, provider, results, elapsedMs);
  }
  return [...measured.values()];
}

async function main(): Promise<number> {
  const parsed = parseBenchOptions(process.argv.slice(2));
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const options = parsed;
  console.log("# Login benchmark: ours vs stock Auth.js WeChat provider\n");
  for (const line of describeMachine()) console.log(line);
  console.log(
    `parameters: concurrency ${options.concurrency}, ${options.logins} measured logins per provider in ${options.rounds} rounds (A/B/B/A), ` +
      `${options.warmup} warmup logins per provider, users ${BENCH_USERS.join("/")}`,
  );
  console.log(`database: ${describeDatabase(options.databaseUrl, PGLITE_DIR)}\n`);

  mkdirSync(".data", { recursive: true });
  if (!options.databaseUrl) rmSync(PGLITE_DIR, { recursive: true, force: true });
  writeFileSync(BUILD_LOG, "");
  writeFileSync(SERVER_LOG, "");

  let emulator: RunningEmulator | undefined;
  let app: RunningApp | undefined;
  const stopEverything = async (): Promise<void> => {
    await app?.stop();
    await emulator?.close();
    await stopAllChildren();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the app and the emulator`);
      void stopEverything().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }

  try {
    const appPort = await findFreePort();
    const telemetryPorts = options.telemetryLogins > 0 ? await Promise.all(TELEMETRY_MODES.map(() => findFreePort())) : [];
    const callbackDomains = [appPort, ...telemetryPorts].map((port) => `localhost:${port}`);
    // No trace context may reach WeChat (README "Traces"): the emulator counts requests carrying any.
    const traceHeaders = { requests: 0, traced: 0 };
    const onRequest = ({ headers }: { headers: Record<string, unknown> }) => {
      traceHeaders.requests++;
      if (headers.traceparent || headers.tracestate || headers.baggage) traceHeaders.traced++;
    };
    emulator = await startEmulator({ port: 0, host: "127.0.0.1", callbackDomains, onRequest });
    const emulatorUrl = emulator.url;
    const envFor = (port: number, pgliteDir: string) =>
      buildAppEnv({ appPort: port, emulatorUrl, pgliteDir, databaseUrl: options.databaseUrl, extra: { WECHAT_STOCK_PROVIDER: "1" } });
    const env = envFor(appPort, PGLITE_DIR);
    await prepareApp({ skipBuild: options.skipBuild, databaseUrl: options.databaseUrl, env, buildLog: BUILD_LOG });
    let failed = false;

    if (!options.telemetryOnly) {
      app = await startApp({ port: appPort, env, logFile: SERVER_LOG });
      console.log(`app: ${app.url} (log: ${SERVER_LOG}), emulator: ${emulator.url}\n`);

      const tallies = await runBenchmark(options, { appUrl: app.url, emulatorUrl: emulator.url, timeoutMs: options.timeoutMs });
      const [ours, stock] = tallies as [Tally, Tally];

      console.log(`\nload average after the run: ${formatLoad()}\n`);
      console.log(renderTable(tallies));
      console.log("");
      console.log(renderRatios(ours, stock));
      const reasons = tallies.flatMap((tally) => renderReasons(tally));
      if (reasons.length) console.log(["", "failures:", ...reasons].join("\n"));

      const broken = tallies.filter((tally) => failureRate(tally) > MAX_FAILURE_RATE);
      for (const tally of broken) {
        console.error(`\n${tally.provider}: ${(failureRate(tally) * 100).toFixed(1)}% of logins failed (limit ${MAX_FAILURE_RATE * 100}%)`);
      }
      failed = broken.length > 0;
      await app.stop();
      app = undefined;
    }

    if (telemetryPorts.length) {
      console.log(
        `\n## Telemetry: off vs metrics vs metrics + traces (ours only; ${options.telemetrySessions} sessions on fresh servers, each with ${options.telemetryWarmup} warmup and ${options.telemetryLogins} measured logins per mode in ${options.telemetryRounds} rounds whose order rotates)\n`,
      );
      const run = await runTelemetryComparison({
        ports: telemetryPorts,
        emulatorUrl,
        envFor,
        logins: options.telemetryLogins,
        rounds: options.telemetryRounds,
        sessions: options.telemetrySessions,
        warmup: options.telemetryWarmup,
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        usesPglite: !options.databaseUrl,
        serverLog: (index) => `.data/bench-server-telemetry-${index}.log`,
      });
      console.log(`\nload average after the run: ${formatLoad()}\n`);
      console.log(renderTelemetryTable(run.tallies, run.costs));
      console.log(run.notes.join("\n"));
      console.log(`WeChat (the emulator): ${traceHeaders.traced} of ${traceHeaders.requests} requests carried traceparent, tracestate or baggage`);
      if (traceHeaders.traced > 0) failed = true;
      const reasons = telemetryReasons(run.tallies);
      if (reasons.length) console.log(["", "failures:", ...reasons].join("\n"));
      const broken = telemetryFailures(run.tallies, MAX_FAILURE_RATE);
      for (const line of broken) console.error(`\n${line} (limit ${MAX_FAILURE_RATE * 100}%)`);
      failed ||= broken.length > 0;
    }
    return failed ? 1 : 0;
  } finally {
    await stopEverything();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);

/**
 * `npm run bench:live`: how fast a waiting login page learns that the phone confirmed, and what
 * each waiting page costs the server, for our Server-Sent Events against plain 1 s polling.
 * Both phases run against one production build, one WeChat emulator and one database. Each phase
 * creates its tickets, then restarts the server, so its memory readings start from a process
 * that neither rendered a thousand QR images nor served the other phase.
 * Prints a markdown table; exits 1 when more than 1% of the SSE browsers were never told (the
 * baseline's misses are reported, not failed on), 2 when the run cannot start. Timings are for reading, never for CI pass/fail.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { startEmulator, type RunningEmulator } from "../emulator/server";
import { findFreePort, startApp, stopAllChildren, type RunningApp } from "./app-server";
import { parseLiveOptions, LIVE_USAGE, surfacesOf } from "./live-options";
import { createPhaseTickets, runPhase, type PhaseResult, type WatchMode } from "./live-phase";
import { PHONES, SCANNING_USERS } from "./live-phone";
import { renderDetails, renderLiveTable, renderTargets } from "./live-report";
import { findServerPid } from "./process-memory";
import { buildAppEnv, describeDatabase, describeMachine, formatLoad, prepareApp } from "./run-setup";

const PGLITE_DIR = ".data/bench-live-pglite";
const BUILD_LOG = ".data/bench-live-build.log";
const SERVER_LOG = ".data/bench-live-server.log";
const MAX_UNNOTIFIED_RATE = 0.01;
const WARMUP_BROWSERS = 20;
/** Tickets must outlive the run: at a low --rate, 1000 scans and confirms take minutes. */
const TICKET_TTL_SECONDS = 1800;
const PHASES: readonly WatchMode[] = ["sse", "polling"];

async function main(): Promise<number> {
  const parsed = parseLiveOptions(process.argv.slice(2));
  if (parsed === "help") {
    console.log(LIVE_USAGE);
    return 0;
  }
  const options = parsed;
  const warmup = Math.min(WARMUP_BROWSERS, options.browsers);
  const phones = surfacesOf(options).map((surface) => PHONES[surface]);
  console.log("# Live status benchmark: Server-Sent Events vs 1 s polling\n");
  for (const line of describeMachine()) console.log(line);
  if ((loadavg()[0] ?? 0) > cpus().length / 2) {
    console.log(`warning: the machine is already busy (load ${formatLoad()} on ${cpus().length} CPUs); the server shares it, and its latencies will show that`);
  }
  const scans = phones.map((phone) => `${phone.surface} ${Number(phone.scanRate(options.rate).toFixed(1))}/s`).join(", ");
  const parameters =
    `parameters: surfaces ${phones.map((phone) => phone.surface).join(" + ")}, ${options.browsers} browsers per phase (+${warmup} warmup), ` +
    `confirms at ${options.rate}/s, scans at ${scans} (users ${SCANNING_USERS.join("/")} taking turns), ` +
    `polling every 1000 ms, ticket TTL ${TICKET_TTL_SECONDS} s`;
  console.log(parameters);
  const database = `database: ${describeDatabase(options.databaseUrl, PGLITE_DIR)}`;
  console.log(`${database}\n`);

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
    emulator = await startEmulator({
      port: 0,
      host: "127.0.0.1",
      callbackDomains: [`localhost:${appPort}`],
      oaPushUrl: `http://localhost:${appPort}/api/wechat/events`,
    });
    const env = buildAppEnv({
      appPort,
      emulatorUrl: emulator.url,
      pgliteDir: PGLITE_DIR,
      databaseUrl: options.databaseUrl,
      extra: { WECHAT_TICKET_TTL_SECONDS: String(TICKET_TTL_SECONDS) },
    });
    await prepareApp({ skipBuild: options.skipBuild, databaseUrl: options.databaseUrl, env, buildLog: BUILD_LOG });

    const results: PhaseResult[] = [];
    for (const [phone, mode] of phones.flatMap((each) => PHASES.map((phase) => [each, phase] as const))) {
      const settings = { phone, mode, browsers: options.browsers, warmup, rate: options.rate, redeem: options.redeem };
      const target = { appUrl: `http://localhost:${appPort}`, emulatorUrl: emulator.url, timeoutMs: options.timeoutMs };
      console.log("");
      app = await startApp({ port: appPort, env, logFile: SERVER_LOG });
      const tickets = await createPhaseTickets(settings, target);
      await app.stop();
      // A fresh server for the measurement: the tickets are in the database, the code-drawing garbage is gone.
      app = await startApp({ port: appPort, env, logFile: SERVER_LOG });
      if (app.pid === undefined) throw new Error("next start has no pid");
      const serverPid = findServerPid(app.pid, appPort);
      console.log(`app: ${app.url} restarted (server pid ${serverPid}, log: ${SERVER_LOG}), emulator: ${emulator.url}`);
      results.push(await runPhase(settings, { ...target, serverPid }, tickets));
      await app.stop();
      app = undefined;
    }

    console.log(`\nload average after the run: ${formatLoad()}\n`);
    console.log(renderLiveTable(results));
    console.log("");
    console.log(renderTargets(results));
    console.log("");
    for (const result of results) console.log(renderDetails(result).join("\n"));

    // Ours must tell (nearly) every browser. The baseline is reported as it fared: 1 s polling from
    // a thousand browsers can overload this server until confirms fail, and that is the finding.
    let failed = false;
    for (const result of results.filter((each) => each.notNotified / each.browsers > MAX_UNNOTIFIED_RATE)) {
      const line = `${result.surface} ${result.mode}: ${result.notNotified} of ${result.browsers} browsers were never notified`;
      if (result.mode === "sse") {
        console.error(`\n${line} (limit ${MAX_UNNOTIFIED_RATE * 100}%)`);
        failed = true;
      } else {
        console.log(`\n${line}: the baseline overloaded the server (see its failures above)`);
      }
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

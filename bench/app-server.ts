/**
 * Builds and runs the app as a production server for the benchmark, the way e2e/start-app.ts
 * does: `next build` into its own dist dir, then `next start`, both as child processes. Every
 * child runs in its own process group so stopping it also stops what npx spawned below it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type ChildEnv = Record<string, string | undefined>;

const children = new Set<ChildProcess>();

/** A TCP port nobody listens on right now (the OS picks it; a tiny race remains, as always). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

function spawnLogged(command: string, args: string[], env: ChildEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, "a");
  // Next's types make NODE_ENV mandatory in ProcessEnv; the child may well go without it.
  const child = spawn(command, args, { env: env as NodeJS.ProcessEnv, stdio: ["ignore", log, log], detached: true });
  closeSync(log);
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function waitForExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

/** Runs a command to completion with its output appended to `logFile`; throws with the log's tail on failure. */
export async function runLogged(command: string, args: string[], env: ChildEnv, logFile: string): Promise<void> {
  const code = await waitForExit(spawnLogged(command, args, env, logFile));
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}\n${readTail(logFile)}`);
}

function isGroupAlive(groupId: number): boolean {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a child and everything in its process group: SIGTERM, then SIGKILL after `graceMs`.
 * Returns once the whole group is gone, not just the child: npx exits before the server it
 * started has closed its database, and a server started next on the same PGlite dir would abort.
 */
async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined) return;
  const groupId = child.pid;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-groupId, signal);
    } catch {
      // The group is already gone.
    }
  };
  if (!isGroupAlive(groupId)) return;
  const exited = waitForExit(child);
  signalGroup("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isGroupAlive(groupId) && Date.now() < deadline) await sleep(100);
  if (isGroupAlive(groupId)) {
    signalGroup("SIGKILL");
    while (isGroupAlive(groupId)) await sleep(100);
  }
  await exited;
}

/** Stops every child this module started that is still running. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
}

export function readTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

export type RunningApp = {
  url: string;
  /** The pid spawned (npx); the server itself may be a descendant (see process-memory.ts). */
  pid: number | undefined;
  stop(): Promise<void>;
};

/**
 * `next start --port <port>` and waits for `/api/health` to answer 200, which on the embedded
 * database also means migrated. Fails early if the server exits first.
 */
export async function startApp(input: { port: number; env: ChildEnv; logFile: string; timeoutMs?: number }): Promise<RunningApp> {
  const url = `http://localhost:${input.port}`;
  const child = spawnLogged("npx", ["next", "start", "--port", String(input.port)], input.env, input.logFile);
  const running: RunningApp = { url, pid: child.pid, stop: () => stopChild(child) };
  const deadline = Date.now() + (input.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`next start exited with ${child.exitCode ?? child.signalCode}\n${readTail(input.logFile)}`);
    }
    const isHealthy = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (isHealthy) return running;
    await sleep(250);
  }
  await running.stop();
  throw new Error(`the app did not answer /api/health within ${input.timeoutMs ?? 120_000} ms\n${readTail(input.logFile)}`);
}

/**
 * `next build` rewrites tsconfig.json to include `<distDir>/types/**` and next-env.d.ts to import
 * them. Runs `fn`, then puts both files back when that is all that changed, so a benchmark build
 * leaves no edits in the tree; anything else it finds changed it leaves alone and warns about.
 */
export async function withNextRewritesUndone(distDir: string, fn: () => Promise<void>): Promise<void> {
  const tsconfigBefore = readFileSync("tsconfig.json", "utf8");
  const nextEnvBefore = readOptional("next-env.d.ts");
  try {
    await fn();
  } finally {
    const tsconfigAfter = readFileSync("tsconfig.json", "utf8");
    if (tsconfigAfter !== tsconfigBefore) {
      if (isOnlyDistDirIncludes(tsconfigBefore, tsconfigAfter, distDir)) writeFileSync("tsconfig.json", tsconfigBefore);
      else console.warn("warning: tsconfig.json changed during the build in more than Next's include entries; left as is");
    }
    const nextEnvAfter = readOptional("next-env.d.ts");
    // Generated by Next and ignored by git; restored so a running `next dev` keeps its route types.
    if (nextEnvBefore !== undefined && nextEnvAfter !== nextEnvBefore) writeFileSync("next-env.d.ts", nextEnvBefore);
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** True when `after` is `before` plus `include` entries under `distDir/` and nothing else. */
function isOnlyDistDirIncludes(before: string, after: string, distDir: string): boolean {
  try {
    const parsedBefore = JSON.parse(before) as { include?: unknown };
    const parsedAfter = JSON.parse(after) as { include?: unknown };
    if (!Array.isArray(parsedAfter.include)) return false;
    parsedAfter.include = parsedAfter.include.filter((entry) => typeof entry !== "string" || !entry.startsWith(`${distDir}/`));
    return JSON.stringify(parsedAfter) === JSON.stringify(parsedBefore);
  } catch {
    return false;
  }
}

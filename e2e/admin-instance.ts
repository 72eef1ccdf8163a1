/**
 * The operator console spec's own instance of the e2e build, on its own embedded database. The
 * role is granted the way an operator does it, with `npm run admin:grant` on the command line;
 * PGlite admits one process per data dir, so the instance stops for the grant and starts again
 * (sessions live in the database and survive the restart).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { ADMIN_PORT, ADMIN_URL, EMULATOR_URL } from "./config";

const DATA_DIR = `.data/e2e-admin-${ADMIN_PORT}`;

/** As playwright.config.ts's APP_SERVER_ENV: a production build that talks to the emulator. */
const ENV = {
  AUTH_SECRET: "e2e-only-secret-0123456789abcdef0123456789",
  ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1",
  WECHAT_EMULATOR_URL: EMULATOR_URL,
  WECHAT_HTTP_TIMEOUT_MS: "2000",
  LIMIT_LOGIN_PER_IP: "100000",
  LIMIT_LOGIN_PER_BROWSER: "100000",
  LIMIT_STREAMS_PER_IP: "100000",
  NEXT_DIST_DIR: ".next-e2e",
  PGLITE_DIR: DATA_DIR,
  AUTH_URL: ADMIN_URL,
};

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...ENV };
  // Always the embedded database of its own, even when the suite has a PostgreSQL server.
  delete env.DATABASE_URL;
  return env;
}

/** Whether anything answers on the instance's port (any status: a server is listening). */
async function answers(): Promise<boolean> {
  try {
    await fetch(`${ADMIN_URL}/api/health`, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

/** Until this server (not a previous one) is healthy; fails at once if it exits instead. */
async function waitUntilUp(server: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`${ADMIN_URL} exited while starting (${server.exitCode ?? server.signalCode})`);
    try {
      if ((await fetch(`${ADMIN_URL}/api/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${ADMIN_URL} did not come up`);
}

/** Until every process of the group is gone (signal 0 only asks whether any is left). */
async function waitForGroupExit(pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(-pid, "SIGKILL");
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Until the port is free: npx exits before the Next server under it has let go of the port and the database. */
async function waitUntilDown(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await answers()) {
    if (Date.now() > deadline) throw new Error(`${ADMIN_URL} still answers after it was stopped`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export class AdminInstance {
  private server: ChildProcess | undefined;

  /** A fresh database, then the server. */
  static async create(): Promise<AdminInstance> {
    rmSync(DATA_DIR, { recursive: true, force: true });
    const instance = new AdminInstance();
    await instance.start();
    return instance;
  }

  async start(): Promise<void> {
    // Its own process group, so stop() ends npx and the Next server under it together.
    await waitUntilDown();
    const server = spawn("npx", ["next", "start", "--port", String(ADMIN_PORT)], { env: environment(), stdio: "ignore", detached: true });
    this.server = server;
    await waitUntilUp(server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server?.pid || server.exitCode !== null) return;
    const exited = new Promise((resolve) => server.once("exit", resolve));
    process.kill(-server.pid, "SIGTERM");
    await exited;
    this.server = undefined;
    // npx exits first; the Next server under it still holds the port and the database for a moment.
    await waitForGroupExit(server.pid);
    await waitUntilDown();
  }

  /** `npm run admin:grant -- [--revoke] <who>` against this instance's database (stopped meanwhile). */
  async adminGrant(who: string, options: { revoke?: boolean } = {}): Promise<{ status: number | null; output: string }> {
    await this.stop();
    try {
      const args = ["run", "--silent", "admin:grant", "--", ...(options.revoke ? ["--revoke"] : []), who];
      const result = spawnSync("npm", args, { env: environment(), encoding: "utf8", timeout: 60_000 });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
      await this.start();
    }
  }
}

/**
 * Two more app instances for the multi-instance e2e spec, on one real PostgreSQL database, as
 * behind a load balancer. They reuse the build of e2e/start-app.ts (started first) and get a
 * fresh database, created, migrated and handed to both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import pg from "pg";
import { migrateDatabase, pgSqlRunner } from "../lib/db/migrate";
import { APP_URL, INSTANCE_PORTS } from "./config";

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl) throw new Error("TEST_DATABASE_URL is required for the multi-instance e2e servers");

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} did not come up`);
}

// The build belongs to the first instance: wait until it serves.
await waitFor(`${APP_URL}/api/health`, 300_000);

const name = "wxlogin_e2e_instances";
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
await admin.query(`CREATE DATABASE "${name}"`);
await admin.end();
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
await migrateDatabase(pgSqlRunner(client));
await client.end();

const servers: ChildProcess[] = INSTANCE_PORTS.map((port) =>
  spawn("npx", ["next", "start", "--port", String(port)], {
    stdio: "inherit",
    env: { ...process.env, NEXT_DIST_DIR: ".next-e2e", DATABASE_URL: url.toString(), AUTH_URL: `http://localhost:${port}`, PGLITE_DIR: "" },
  }),
);
const stop = () => servers.forEach((server) => server.kill("SIGTERM"));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for (const server of servers) server.on("exit", (code) => process.exit(code ?? 0));

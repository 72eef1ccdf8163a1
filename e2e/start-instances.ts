/**
 * Two more app instances for the multi-instance e2e spec, on one real PostgreSQL database, as
 * behind a load balancer. They reuse the build of e2e/start-app.ts (started first) and get a
 * fresh database, created, migrated and handed to both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createMigratedDatabase } from "../lib/test/create-database";
import { INSTANCE_PORTS } from "./config";
import { waitForFirstInstance } from "./wait-for";

const serverUrl = process.env.TEST_DATABASE_URL;
if (!serverUrl) throw new Error("TEST_DATABASE_URL is required for the multi-instance e2e servers");

// The build belongs to the first instance: wait until it serves.
await waitForFirstInstance();

const databaseUrl = await createMigratedDatabase(serverUrl, "wxlogin_e2e_instances");

const servers: ChildProcess[] = INSTANCE_PORTS.map((port) =>
  spawn("npx", ["next", "start", "--port", String(port)], {
    stdio: "inherit",
    env: { ...process.env, NEXT_DIST_DIR: ".next-e2e", DATABASE_URL: databaseUrl, AUTH_URL: `http://localhost:${port}`, PGLITE_DIR: "" },
  }),
);
const stop = () => servers.forEach((server) => server.kill("SIGTERM"));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for (const server of servers) server.on("exit", (code) => process.exit(code ?? 0));

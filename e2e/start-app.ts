/**
 * Starts the app for the e2e run: a production build on a fresh embedded database.
 * The build goes to its own dist dir so it never collides with a running `npm run dev`.
 */
import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

const dataDir = process.env.PGLITE_DIR;
if (!dataDir || !dataDir.includes("e2e")) throw new Error("e2e must run on its own embedded database (PGLITE_DIR with 'e2e' in it)");
rmSync(dataDir, { recursive: true, force: true });

const env = { ...process.env, NEXT_DIST_DIR: ".next-e2e" };
const build = spawnSync("npx", ["next", "build"], { stdio: "inherit", env });
if (build.status !== 0) process.exit(build.status ?? 1);
const server = spawn("npx", ["next", "start", "--port", process.env.PORT ?? "3300"], { stdio: "inherit", env });
const stop = () => server.kill("SIGTERM");
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
server.on("exit", (code) => process.exit(code ?? 0));

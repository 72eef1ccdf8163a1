/**
 * Two more instances of the e2e build for the binding specs, each on its own embedded database:
 * BIND_MODE=required (email over real SMTP to the sink the spec starts, SMS to the dev outbox)
 * and BIND_MODE=optional (both to the outbox).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { BIND_OPTIONAL_PORT, BIND_REQUIRED_PORT, SMTP_SINK_PORT } from "./config";
import { waitForFirstInstance } from "./wait-for";

// The build belongs to the first instance: wait until it serves.
await waitForFirstInstance();

const instances = [
  {
    port: BIND_REQUIRED_PORT,
    env: {
      BIND_MODE: "required",
      BIND_EMAIL_LINK: "1",
      EMAIL_PROVIDER: "smtp",
      SMTP_HOST: "localhost",
      SMTP_PORT: String(SMTP_SINK_PORT),
      SMTP_SECURE: "false",
      EMAIL_FROM: "微信扫码登录 <no-reply@example.test>",
      SMS_PROVIDER: "outbox",
    },
  },
  { port: BIND_OPTIONAL_PORT, env: { BIND_MODE: "optional", BIND_EMAIL_LINK: "1", EMAIL_PROVIDER: "outbox", SMS_PROVIDER: "outbox" } },
];

const servers: ChildProcess[] = instances.map(({ port, env }) => {
  const dataDir = `.data/e2e-bind-${port}`;
  rmSync(dataDir, { recursive: true, force: true });
  return spawn("npx", ["next", "start", "--port", String(port)], {
    stdio: "inherit",
    env: { ...process.env, ...env, NEXT_DIST_DIR: ".next-e2e", PGLITE_DIR: dataDir, AUTH_URL: `http://localhost:${port}` },
  });
});
const stop = () => servers.forEach((server) => server.kill("SIGTERM"));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for (const server of servers) server.on("exit", (code) => process.exit(code ?? 0));

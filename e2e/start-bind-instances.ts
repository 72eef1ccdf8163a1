/**
 * Two more instances of the e2e build for the binding specs, each on its own embedded database:
 * BIND_MODE=required and BIND_MODE=optional. Email goes over real SMTP to the sink the spec starts
 * and SMS through Aliyun's SDK to its stand-in: the dev outbox is never on in a production build.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { BIND_OPTIONAL_PORT, BIND_REQUIRED_PORT, SMS_GATEWAY_PORT, SMS_NOTICE_TEMPLATE_CODE, SMS_TEMPLATE_CODE, SMTP_SINK_PORT } from "./config";
import { waitForFirstInstance } from "./wait-for";

// The build belongs to the first instance: wait until it serves.
await waitForFirstInstance();

/** Real providers through their real clients: SMTP to the spec's sink, Aliyun's SDK to its stand-in. */
const MESSAGING = {
  EMAIL_PROVIDER: "smtp",
  SMTP_HOST: "localhost",
  SMTP_PORT: String(SMTP_SINK_PORT),
  SMTP_SECURE: "false",
  EMAIL_FROM: "微信扫码登录 <no-reply@example.test>",
  SMS_PROVIDER: "aliyun",
  ALIYUN_SMS_ACCESS_KEY_ID: "LTAIe2eAccessKeyId",
  ALIYUN_SMS_ACCESS_KEY_SECRET: "e2e-access-key-secret",
  ALIYUN_SMS_SIGN_NAME: "微信扫码登录",
  ALIYUN_SMS_TEMPLATE_CODE: SMS_TEMPLATE_CODE,
  ALIYUN_SMS_NOTICE_TEMPLATE_CODE: SMS_NOTICE_TEMPLATE_CODE,
  ALIYUN_SMS_TEST_ENDPOINT: `localhost:${SMS_GATEWAY_PORT}`,
};

const instances = [
  { port: BIND_REQUIRED_PORT, env: { ...MESSAGING, BIND_MODE: "required", BIND_EMAIL_LINK: "1" } },
  { port: BIND_OPTIONAL_PORT, env: { ...MESSAGING, BIND_MODE: "optional", BIND_EMAIL_LINK: "1" } },
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

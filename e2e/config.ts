/** Ports and URLs of the e2e stack: a production build of the app and the emulator beside it. */
export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 3300);
export const EMULATOR_PORT = Number(process.env.E2E_EMULATOR_PORT ?? 3310);
// Browse through localhost, never 127.0.0.1: Next 16 rewrites 127.x and cookies would be lost.
export const APP_URL = `http://localhost:${APP_PORT}`;
export const EMULATOR_URL = `http://localhost:${EMULATOR_PORT}`;
export const E2E_DATA_DIR = ".data/e2e-pglite";
/** The multi-instance spec's two servers on one PostgreSQL (only when TEST_DATABASE_URL is set). */
export const INSTANCE_PORTS = [APP_PORT + 1, APP_PORT + 2] as const;
export const HAS_INSTANCES = Boolean(process.env.TEST_DATABASE_URL);
/** Instances for the binding specs (their own embedded databases), and the SMTP sink they mail. */
export const BIND_REQUIRED_PORT = APP_PORT + 3;
export const BIND_OPTIONAL_PORT = APP_PORT + 4;
/** The operator console spec's own instance (e2e/admin-instance.ts), restarted to grant the role. */
export const ADMIN_PORT = APP_PORT + 5;
export const ADMIN_URL = `http://localhost:${ADMIN_PORT}`;
export const SMTP_SINK_PORT = APP_PORT + 25;
/** The Aliyun SMS stand-in (e2e/sms-gateway.ts) the binding instances text through. */
export const SMS_GATEWAY_PORT = APP_PORT + 26;
export const SMS_TEMPLATE_CODE = "SMS_100000001";
export const SMS_NOTICE_TEMPLATE_CODE = "SMS_100000002";

/**
 * Chromium's flags for this workplace's machines: as root, without a sandbox or GPU, and without the
 * background connections a closed network refuses (Playwright's e2e runs and the README screenshots).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

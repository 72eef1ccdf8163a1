import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import {
  ADMIN_PORT,
  APP_PORT,
  APP_URL,
  BIND_OPTIONAL_PORT,
  BIND_REQUIRED_PORT,
  CHROMIUM_ARGS,
  E2E_DATA_DIR,
  EMULATOR_PORT,
  EMULATOR_URL,
  HAS_INSTANCES,
  INSTANCE_PORTS,
} from "./e2e/config";

// Playwright cannot download its browsers on offline machines; Debian's chromium works.
// Elsewhere leave PLAYWRIGHT_CHROMIUM_EXECUTABLE unset and run `npx playwright install chromium`.
const executablePath = process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

/** What every app server of the e2e run shares: a production build that talks to the emulator. */
const APP_SERVER_ENV = {
  AUTH_SECRET: "e2e-only-secret-0123456789abcdef0123456789",
  ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1",
  WECHAT_EMULATOR_URL: EMULATOR_URL,
  WECHAT_HTTP_TIMEOUT_MS: "2000",
  // Every e2e browser comes from this machine; the per-IP limits are tested in lib/login/login-defences.test.ts.
  LIMIT_LOGIN_PER_IP: "100000",
  LIMIT_LOGIN_PER_BROWSER: "100000",
  LIMIT_STREAMS_PER_IP: "100000",
};

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  // One app and one emulator serve every test, and fault injection is global to an endpoint.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  globalSetup: "./e2e/global-setup.ts",
  use: {
    baseURL: APP_URL,
    locale: "zh-CN",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath,
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
  webServer: [
    {
      command: "npx tsx emulator/main.ts",
      url: `${EMULATOR_URL}/_emulator/health`,
      env: {
        EMULATOR_PORT: String(EMULATOR_PORT),
        EMULATOR_PUBLIC_URL: EMULATOR_URL,
        EMULATOR_PHONE_URL: EMULATOR_URL,
        EMULATOR_CALLBACK_DOMAINS: [APP_PORT, ...INSTANCE_PORTS, BIND_REQUIRED_PORT, BIND_OPTIONAL_PORT, ADMIN_PORT]
          .map((port) => `localhost:${port}`)
          .join(","),
        EMULATOR_OA_PUSH_URL: `${APP_URL}/api/wechat/events`,
        EMULATOR_MP_API_ORIGIN: APP_URL,
      },
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
    },
    {
      command: "npx tsx e2e/start-app.ts",
      url: `${APP_URL}/api/health`,
      env: {
        ...APP_SERVER_ENV,
        PORT: String(APP_PORT),
        AUTH_URL: APP_URL,
        PGLITE_DIR: E2E_DATA_DIR,
      },
      reuseExistingServer: !process.env.CI,
      timeout: 240_000,
      stdout: "pipe",
    },
    // Binding specs: BIND_MODE=required and optional, each on its own embedded database.
    {
      command: "npx tsx e2e/start-bind-instances.ts",
      url: `http://localhost:${BIND_OPTIONAL_PORT}/api/health`,
      env: APP_SERVER_ENV,
      reuseExistingServer: !process.env.CI,
      timeout: 300_000,
    },
    // Two more instances on one PostgreSQL, for the multi-instance spec (CI sets TEST_DATABASE_URL).
    ...(HAS_INSTANCES
      ? [
          {
            command: "npx tsx e2e/start-instances.ts",
            url: `http://localhost:${INSTANCE_PORTS[1]}/api/health`,
            env: APP_SERVER_ENV,
            reuseExistingServer: !process.env.CI,
            timeout: 300_000,
          },
        ]
      : []),
  ],
});

/**
 * What every benchmark run sets up the same way: the machine line of the report, the app's
 * environment (the emulator only, never real WeChat) and the production build.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { runLogged, withNextRewritesUndone, type ChildEnv } from "./app-server";

export const DIST_DIR = ".next-bench";

/** Shell variables that could point a benchmark at real WeChat, another database or a shared bus. */
const INHERITED_VARIABLES_REMOVED = [
  "NODE_ENV",
  "DATABASE_URL",
  "REDIS_URL",
  "AUTH_WECHAT_ID",
  "AUTH_WECHAT_SECRET",
  "AUTH_WECHAT_ALT_ID",
  "AUTH_WECHAT_ALT_SECRET",
  "WECHAT_OA_ID",
  "WECHAT_OA_SECRET",
  "WECHAT_OA_TOKEN",
  "WECHAT_OA_AES_KEY",
  "WECHAT_OPEN_BASE_URL",
  "WECHAT_API_BASE_URL",
  "WECHAT_WXLOGIN_JS_URL",
];

export function describeMachine(): string[] {
  const cpuList = cpus();
  const nextVersion = (JSON.parse(readFileSync("node_modules/next/package.json", "utf8")) as { version: string }).version;
  return [
    `machine: ${cpuList.length} × ${cpuList[0]?.model.trim() ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}`,
    `runtime: node ${process.version}, next ${nextVersion} (production build), load average ${formatLoad()}`,
  ];
}

export function formatLoad(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

export function describeDatabase(databaseUrl: string | undefined, pgliteDir: string): string {
  if (!databaseUrl) return `embedded PGlite in ${pgliteDir} (fresh)`;
  const url = new URL(databaseUrl);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/** The app's environment: ours only, so a developer's .env or shell cannot point the bench at real WeChat. */
export function buildAppEnv(input: { appPort: number; emulatorUrl: string; pgliteDir: string; databaseUrl: string | undefined; extra?: ChildEnv }): ChildEnv {
  const env: ChildEnv = { ...process.env };
  for (const name of INHERITED_VARIABLES_REMOVED) delete env[name];
  return {
    ...env,
    NEXT_DIST_DIR: DIST_DIR,
    PGLITE_DIR: input.pgliteDir,
    AUTH_URL: `http://localhost:${input.appPort}`,
    AUTH_SECRET: randomBytes(30).toString("base64url"),
    ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1",
    WECHAT_EMULATOR_URL: input.emulatorUrl,
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    // Every benchmark client comes from this one machine: bench:live holds 1000 streams and
    // bench:login runs 300 logins from one address, far past the per-IP limits meant for the web.
    LIMIT_LOGIN_PER_IP: "1000000",
    LIMIT_LOGIN_PER_BROWSER: "1000000",
    LIMIT_STREAMS_PER_IP: "1000000",
    LIMIT_STREAMS_PER_BROWSER: "1000000",
    ...input.extra,
    ...(input.databaseUrl ? { DATABASE_URL: input.databaseUrl } : {}),
  };
}

/** `next build` into DIST_DIR (unless `skipBuild` and a build is there), then migrates PostgreSQL if used. */
export async function prepareApp(input: { skipBuild: boolean; databaseUrl: string | undefined; env: ChildEnv; buildLog: string }): Promise<void> {
  if (input.skipBuild && existsSync(`${DIST_DIR}/BUILD_ID`)) {
    console.log(`build: reusing ${DIST_DIR} (--skip-build)`);
  } else {
    const begun = performance.now();
    console.log(`build: next build → ${DIST_DIR} (log: ${input.buildLog})`);
    await withNextRewritesUndone(DIST_DIR, () => runLogged("npx", ["next", "build"], input.env, input.buildLog));
    console.log(`build: done in ${((performance.now() - begun) / 1000).toFixed(0)} s`);
  }
  if (input.databaseUrl) {
    console.log("database: migrating (scripts/db-migrate.ts)");
    await runLogged("npx", ["tsx", "scripts/db-migrate.ts"], input.env, input.buildLog);
  }
}

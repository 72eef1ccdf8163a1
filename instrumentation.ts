/**
 * Runs once per server process before requests are served: turns tracing on when an OTLP
 * endpoint is set (lib/telemetry/register.ts), marks each request with its socket's address
 * (lib/peer-address.ts) and migrates the embedded database.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { registerTracing } = await import("@/lib/telemetry/register");
  const tracing = await registerTracing();
  const { installPeerAddressHeader } = await import("@/lib/peer-address");
  installPeerAddressHeader();
  const { db, databaseKind } = await import("@/lib/db/client");
  await db();
  const { schedulePruning } = await import("@/lib/db/prune");
  schedulePruning();
  const { logger } = await import("@/lib/logger");
  const { getEnv } = await import("@/lib/env");
  const env = getEnv();
  if (env.nodeEnv === "production" && env.wechat.usesEmulator) {
    // Allowed only by ALLOW_WECHAT_EMULATOR_IN_PRODUCTION, for tests and benchmarks of a build.
    const banner = "THIS SERVER SIGNS PEOPLE IN THROUGH THE WECHAT EMULATOR, NOT WECHAT. Never expose it: anyone can sign in as anyone.";
    console.warn(`\n${"!".repeat(banner.length)}\n${banner}\n${"!".repeat(banner.length)}\n`);
    logger.warn("server.emulator_in_production", { emulator: env.wechat.apiBaseUrl });
  }
  logger.info("server.ready", { database: databaseKind(), metrics: env.telemetry.metricsToken !== undefined, tracing });
}

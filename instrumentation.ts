/**
 * Runs once per server process before requests are served: marks each request with its socket's
 * address (lib/peer-address.ts) and migrates the embedded database.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { installPeerAddressHeader } = await import("@/lib/peer-address");
  installPeerAddressHeader();
  const { db, databaseKind } = await import("@/lib/db/client");
  await db();
  const { schedulePruning } = await import("@/lib/db/prune");
  schedulePruning();
  const { logger } = await import("@/lib/logger");
  logger.info("server.ready", { database: databaseKind() });
}

/**
 * The one Prisma client of the process.
 *
 * With DATABASE_URL it talks to PostgreSQL through node-postgres. Without it, it opens PGlite
 * (PostgreSQL compiled to Wasm) in-process on a data dir under .data/, migrating it on first use.
 * Both are created lazily and kept on `globalThis`: Next evaluates modules several times
 * (instrumentation, each route, hot reload), and a second PGlite on one data dir aborts.
 */
import "server-only";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { getEnv } from "@/lib/env";
import { Prisma, PrismaClient } from "./generated/client";
import { migrateDatabase } from "./migrate";

// Data dirs are not portable across PGlite versions, so the version is part of the path.
const PGLITE_VERSION = "0.5.16";

type DatabaseHandle = {
  prisma: PrismaClient;
  kind: "postgresql" | "pglite";
  /** Resolves once the embedded database is migrated; already resolved for a server. */
  ready: Promise<void>;
  close(): Promise<void>;
};

const globalForDb = globalThis as typeof globalThis & { __wechatLoginDb?: DatabaseHandle };

export function defaultPgliteDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.cwd(), ".data", `pglite-${PGLITE_VERSION}`);
}

function openDatabase(): DatabaseHandle {
  const env = getEnv();
  if (env.databaseUrl) {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: env.databaseUrl, max: 10 }) });
    return { prisma, kind: "postgresql", ready: Promise.resolve(), close: () => prisma.$disconnect() };
  }
  const dataDir = env.pgliteDir ? resolve(/*turbopackIgnore: true*/ env.pgliteDir) : defaultPgliteDir();
  mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir);
  const ready = pglite.waitReady.then(async () => {
    await migrateDatabase(pglite);
  });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: "pglite",
    ready,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

function handle(): DatabaseHandle {
  globalForDb.__wechatLoginDb ??= openDatabase();
  return globalForDb.__wechatLoginDb;
}

/** The Prisma client. Synchronous, for Auth.js's adapter; use {@link db} where you can await. */
export function getPrisma(): PrismaClient {
  return handle().prisma;
}

/** The Prisma client once the database is ready (the embedded one migrated). */
export async function db(): Promise<PrismaClient> {
  const current = handle();
  await current.ready;
  return current.prisma;
}

/** Whether this process has opened its database: the server does at start (instrumentation.ts); a unit test without one has not. */
export function isDatabaseOpen(): boolean {
  return globalForDb.__wechatLoginDb !== undefined;
}

export function databaseKind(): "postgresql" | "pglite" {
  return handle().kind;
}

/** Closes the database of this process (tests and scripts). */
export async function closeDatabase(): Promise<void> {
  const current = globalForDb.__wechatLoginDb;
  globalForDb.__wechatLoginDb = undefined;
  await current?.close();
}

/**
 * Runs `work` in a transaction, once more if it lost a unique-constraint race to a twin (two
 * first sign-ins of one person: the loser's second try finds the winner's rows).
 */
export async function transactionWithRetry<T>(work: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
  const prisma = await db();
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(work);
    } catch (error) {
      const isUniqueRace = error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
      if (!isUniqueRace || attempt >= 2) throw error;
    }
  }
}

/** Readiness: the database answers (and the embedded one is migrated). */
export async function pingDatabase(): Promise<void> {
  const prisma = await db();
  await prisma.$queryRaw`SELECT 1`;
}

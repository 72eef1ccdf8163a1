/**
 * `npm run db:migrate`: applies prisma/migrations to the PostgreSQL server in DATABASE_URL
 * (the same history `prisma migrate deploy` applies), or to the embedded database without it.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { getEnv } from "../lib/env";
import { migrateDatabase, pgSqlRunner } from "../lib/db/migrate";

const env = getEnv();
if (env.databaseUrl) {
  const client = new pg.Client({ connectionString: env.databaseUrl });
  await client.connect();
  try {
    const applied = await migrateDatabase(pgSqlRunner(client), { useAdvisoryLock: true });
    console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date.");
  } finally {
    await client.end();
  }
} else {
  const dir = path.resolve(env.pgliteDir ?? ".data/pglite-0.5.16");
  mkdirSync(dir, { recursive: true });
  const pglite = new PGlite(dir);
  const applied = await migrateDatabase(pglite);
  console.log(applied.length ? `Applied to ${dir}: ${applied.join(", ")}` : `Embedded database ${dir} is up to date.`);
  await pglite.close();
}

/**
 * Applies prisma/migrations/*\/migration.sql in order, each in its own transaction, and records
 * them in Prisma's own `_prisma_migrations` table with the file's sha256 checksum. A database
 * migrated here is "up to date" for `prisma migrate deploy`, and the other way round, so users
 * with network access can use the Prisma CLI while offline machines and the embedded database
 * use this.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** The two calls the runner needs; PGlite and node-postgres both provide them. */
export type SqlRunner = {
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<unknown>;
  query<Row>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
};

export type Migration = { name: string; sql: string; checksum: string };

/** A {@link SqlRunner} over one node-postgres client (a connection, so BEGIN/COMMIT hold). */
export function pgSqlRunner(client: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> }): SqlRunner {
  return {
    exec: (sql) => client.query(sql),
    async query<Row>(sql: string, params?: unknown[]) {
      return { rows: (await client.query(sql, params)).rows as Row[] };
    },
  };
}

export const MIGRATIONS_DIR = path.join(/*turbopackIgnore: true*/ process.cwd(), "prisma", "migrations");

// Any constant works; it only has to be the same for every process migrating one server.
const MIGRATION_LOCK_KEY = 727_345_017;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(/*turbopackIgnore: true*/ dir, { withFileTypes: true });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(/*turbopackIgnore: true*/ path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Brings a database up to date. Returns the names of the migrations it applied.
 * Throws when an applied migration's file changed, or when Prisma recorded a failed one.
 */
export async function migrateDatabase(runner: SqlRunner, options: { migrations?: Migration[]; useAdvisoryLock?: boolean } = {}): Promise<string[]> {
  const migrations = options.migrations ?? (await readMigrations());
  if (options.useAdvisoryLock) await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
  try {
    await runner.exec(CREATE_MIGRATIONS_TABLE);
    const { rows } = await runner.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const applied = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
    const done: string[] = [];
    for (const migration of migrations) {
      const previous = applied.get(migration.name);
      if (previous) {
        if (previous.finished_at === null) throw new Error(`Migration ${migration.name} failed earlier; resolve it with \`prisma migrate resolve\``);
        if (previous.checksum !== migration.checksum) throw new Error(`Migration ${migration.name} was changed after it was applied`);
        continue;
      }
      await runner.exec("BEGIN");
      try {
        await runner.exec(migration.sql);
        await runner.query(`INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)`, [
          randomUUID(),
          migration.checksum,
          migration.name,
        ]);
        await runner.exec("COMMIT");
      } catch (error) {
        await runner.exec("ROLLBACK");
        throw error;
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    if (options.useAdvisoryLock) await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  }
}

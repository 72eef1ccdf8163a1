/**
 * The migration runner: Prisma's own bookkeeping, so `prisma migrate deploy` and this runner
 * agree on what is applied, on the embedded database and (with TEST_DATABASE_URL) PostgreSQL;
 * and, on a throwaway in-memory PGlite, what it does with a changed or failed migration.
 */
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import { migrateDatabase, readMigrations, type Migration } from "./migrate";

describe.each(testDatabases())("the migrated database on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("is migrated with Prisma's own bookkeeping, so `prisma migrate deploy` sees it as up to date", async () => {
    const prisma = await db();
    const rows = await prisma.$queryRaw<
      { migration_name: string; checksum: string }[]
    >`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`;
    const files = await readMigrations();
    expect(rows).toEqual(files.map((file) => ({ migration_name: file.name, checksum: file.checksum })));
  });
});

describe("migrateDatabase", () => {
  const first: Migration = { name: "20260101000000_first", sql: 'CREATE TABLE "a" ("id" INT PRIMARY KEY);', checksum: "c1" };
  const second: Migration = { name: "20260102000000_second", sql: 'ALTER TABLE "a" ADD COLUMN "b" TEXT;', checksum: "c2" };
  // One in-memory database for these tests (starting PGlite is the slow part), emptied before each.
  let pglite: PGlite;
  beforeAll(() => {
    pglite = new PGlite();
  });
  afterAll(() => pglite.close());
  beforeEach(async () => {
    await pglite.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public;");
  });

  it("applies what is new, in order, and nothing twice", async () => {
    expect(await migrateDatabase(pglite, { migrations: [first] })).toEqual([first.name]);
    expect(await migrateDatabase(pglite, { migrations: [first, second] })).toEqual([second.name]);
    expect(await migrateDatabase(pglite, { migrations: [first, second] })).toEqual([]);
    const { rows } = await pglite.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'a' ORDER BY column_name`,
    );
    expect(rows.map((row) => row.column_name)).toEqual(["b", "id"]);
  });

  it("refuses a migration changed after it was applied, and one recorded as failed", async () => {
    await migrateDatabase(pglite, { migrations: [first] });
    await expect(migrateDatabase(pglite, { migrations: [{ ...first, checksum: "edited" }] })).rejects.toThrow(/was changed after it was applied/);
    await pglite.query(`UPDATE "_prisma_migrations" SET finished_at = NULL`);
    await expect(migrateDatabase(pglite, { migrations: [first] })).rejects.toThrow(/failed earlier/);
  });

  it("rolls a failing migration back whole and records nothing of it", async () => {
    const broken: Migration = { name: "20260103000000_broken", sql: 'CREATE TABLE "c" ("id" INT); SELECT * FROM "no_such_table";', checksum: "c3" };
    await expect(migrateDatabase(pglite, { migrations: [first, broken] })).rejects.toThrow(/no_such_table/);
    const { rows } = await pglite.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`);
    expect(rows.map((row) => row.migration_name)).toEqual([first.name]);
    const tables = await pglite.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_name = 'c'`);
    expect(tables.rows).toEqual([]);
  });
});

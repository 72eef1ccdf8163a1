/**
 * The databases integration tests run against: the embedded PGlite always, and a real
 * PostgreSQL server when TEST_DATABASE_URL is set (CI sets it). Each gets a fresh database:
 * a temporary PGlite dir, or a new database created on the server and dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { closeDatabase, db } from "@/lib/db/client";
import { createMigratedDatabase } from "./create-database";
import { reloadEnv } from "@/lib/env";

export type TestDatabase = { name: "pglite" | "postgresql"; setUp(): Promise<void>; tearDown(): Promise<void> };

export function testDatabases(): TestDatabase[] {
  const targets: TestDatabase[] = [];
  let dir = "";
  targets.push({
    name: "pglite",
    async setUp() {
      dir = mkdtempSync(path.join(tmpdir(), "wxlogin-pglite-"));
      delete process.env.DATABASE_URL;
      process.env.PGLITE_DIR = dir;
      reloadEnv();
      await closeDatabase();
      // Migrate here, under the hook timeout: on a busy machine a fresh PGlite takes longer than a test may.
      await db();
    },
    async tearDown() {
      await closeDatabase();
      rmSync(dir, { recursive: true, force: true });
    },
  });
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) {
    const name = `wxlogin_test_${process.pid}_${Date.now().toString(36)}`;
    targets.push({
      name: "postgresql",
      async setUp() {
        process.env.DATABASE_URL = await createMigratedDatabase(serverUrl, name);
        reloadEnv();
        await closeDatabase();
      },
      async tearDown() {
        await closeDatabase();
        delete process.env.DATABASE_URL;
        reloadEnv();
        const admin = new pg.Client({ connectionString: serverUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.end();
      },
    });
  }
  return targets;
}

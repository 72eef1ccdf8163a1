import pg from "pg";
import { migrateDatabase, pgSqlRunner } from "../db/migrate";

/**
 * (Re)creates database `name` on the server of `serverUrl`, applies the migrations, and returns
 * its URL. For tests only: an existing database of that name is dropped first.
 */
export async function createMigratedDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await migrateDatabase(pgSqlRunner(client), { useAdvisoryLock: true });
  await client.end();
  return url.toString();
}

import { E2E_DATA_DIR } from "./config";

/** Refuses to run against anything but the e2e stack's own embedded database. */
export default function globalSetup(): void {
  if (process.env.DATABASE_URL && !/localhost|127\.0\.0\.1/.test(process.env.DATABASE_URL)) {
    throw new Error("Refusing to run e2e tests with a non-local DATABASE_URL");
  }
  if (!E2E_DATA_DIR.includes("e2e")) throw new Error("e2e data dir must be dedicated to tests");
}

// Config for the Prisma 6 CLI in this folder: Wasm engine plus a Prisma 7 driver adapter,
// so `migrate diff` / `migrate deploy` run without native engines.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test" });
  },
});

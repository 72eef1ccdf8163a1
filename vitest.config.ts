import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./", import.meta.url)),
      // `server-only` throws outside React Server Components; tests run the modules directly.
      "server-only": fileURLToPath(new URL("./lib/test/server-only-stub.ts", import.meta.url)),
    },
  },
  test: {
    include: ["**/*.test.ts"],
    // Every Next build dir (.next, .next-e2e, .next-bench, …) holds copies of packages with their own tests.
    exclude: ["node_modules/**", "e2e/**", ".next*/**", "tools/**", ".data/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run side by side (each in its own process, on its own databases and emulator port), two at a time:
    // the suite's machines have two cores, and more workers only slow the PGlite migrations down.
    fileParallelism: true,
    maxWorkers: 2,
  },
});

// `prisma generate` that works offline: Prisma 7's CLI probes for a native schema engine it
// would download; generation does not need it, so the CLI is pointed at a stub that exits 1.
import { spawnSync } from "node:child_process";
import path from "node:path";

const stub = path.resolve("tools/prisma-cli/engine-stub.sh");
const result = spawnSync("npx", ["prisma", "generate"], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_QUERY_ENGINE_LIBRARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
});
process.exit(result.status ?? 1);

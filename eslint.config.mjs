import Module, { createRequire } from "node:module";
import { defineConfig, globalIgnores } from "eslint/config";

// typescript-eslint parses with the classic TypeScript compiler API (ts.createSourceFile, ...). TypeScript 7, the
// Go-native compiler this project type-checks with, no longer ships that API, and typescript-eslint supports
// TypeScript < 6.1 only. So lint parses with TypeScript 6.0 (its JS-API twin), installed beside 7 under the npm alias
// `typescript-eslint-ts`: the hook below sends every require("typescript") made in this ESLint process there, and
// package.json's `"overrides": { "typescript": "$typescript" }` lets npm install typescript-eslint next to 7 despite
// its peer range. Type-checking stays with `tsc` (7); the rules here are the syntax-only ones, which need no program
// and keep lint fast. Drop both once typescript-eslint supports TypeScript 7's API.
const require = createRequire(import.meta.url);
const classicTypescript = require.resolve("typescript-eslint-ts");
// Module._resolveFilename is Node's CommonJS resolver; typescript-eslint is CommonJS, so this is where it asks.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === "typescript" ? classicTypescript : request, ...rest);
};

// Imported after the hook is in place: static imports would load typescript-eslint (and `typescript`) before it.
const { default: js } = await import("@eslint/js");
const { default: nextCoreWebVitals } = await import("eslint-config-next/core-web-vitals");
const { default: tseslint } = await import("typescript-eslint");

export default defineConfig([
  globalIgnores(["lib/db/generated/", ".next*/", ".data/", "tools/prisma-cli/", "playwright-report/", "test-results/", "next-env.d.ts"]),
  js.configs.recommended,
  ...nextCoreWebVitals,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names mark a binding kept on purpose (a positional parameter, a destructured rest).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      // Its only hits are sanitizers that match control characters on purpose (return-to paths, log details).
      "no-control-regex": "off",
    },
  },
  {
    // Vitest helpers named `use*` (useTestEmulator) register hooks, not React state; no React runs in *.test.ts.
    files: ["**/*.test.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
]);

// Must stay first: typescript-eslint parses with TypeScript 6, as TypeScript 7 has no JS API (see that file).
// The rules are the syntax-only ones, which need no program: type-checking is `tsc`'s job (npm run typecheck).
import "./tools/lint/classic-typescript.mjs";
import js from "@eslint/js";
import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

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
    // typescript-eslint's base config parses every file as an ES module; .cjs files (.dependency-cruiser.cjs) are CommonJS.
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    // The mini program's own files run in WeChat's runtime, not here: CommonJS with its globals, and no
    // syntax newer than ES2017 (optional chaining fails to parse), so old base libraries load them too.
    files: ["miniprogram/**/*.js"],
    ignores: ["miniprogram/testing/**"],
    languageOptions: {
      ecmaVersion: 2017,
      sourceType: "commonjs",
      globals: { wx: "readonly", Page: "readonly", App: "readonly", getApp: "readonly", require: "readonly", module: "writable", exports: "writable" },
    },
    // wx's callbacks are plain functions there, so `var page = this` is the idiom.
    rules: { "@typescript-eslint/no-require-imports": "off", "@typescript-eslint/no-this-alias": "off" },
  },
  {
    // Vitest helpers named `use*` (useTestEmulator) register hooks, not React state; no React runs in *.test.ts.
    files: ["**/*.test.ts"],
    rules: { "react-hooks/rules-of-hooks": "off" },
  },
]);

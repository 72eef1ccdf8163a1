// Layering rules, checked by `npm run lint:layers`.
//
// routes (app/, pages/) → lib/ folders → lib/db/ → lib's leaves. The emulator stands in for WeChat and shares nothing
// with the app. Tests (*.test.ts, *.spec.ts) are not followed: they are leaves nobody imports, so they may reach
// across layers (a route test in lib/ importing app/) without closing a loop.

/** lib's leaves: imported by anyone, importing only each other. */
const LEAVES = ["env", "crypto", "logger", "errors", "demo-apps", "attempt-context"];
const LEAF = `^lib/(${LEAVES.join("|")})\\.ts$`;
const TESTS = "\\.(test|spec)\\.tsx?$";
/** Test helpers (lib/test/): like tests, nobody in the app imports them, so they may reach across layers. */
const TEST_HELPERS = "^lib/test/";

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "lib-folder-loop",
      severity: "error",
      comment:
        "Two of lib's folders depend on each other, directly or through others (the cycle above names the loop). " +
        "Move what both need into the lower folder, or into a leaf.",
      scope: "folder",
      from: { path: "^lib/[^/]+$" },
      to: { path: "^lib/", circular: true },
    },
    {
      name: "no-module-loop",
      severity: "error",
      comment: "Modules that import each other, directly or through others (the cycle above names the loop).",
      from: {},
      to: { circular: true },
    },
    {
      name: "lib-top-module-imports-folder",
      severity: "error",
      comment:
        "A module directly in lib/ is shared by every lib folder, so importing a lib folder closes a loop with it. " +
        "Move the module into the folder it needs, or move what it needs up to lib/.",
      from: { path: "^lib/[^/]+\\.tsx?$", pathNot: [LEAF, TESTS] },
      to: { path: "^lib/[^/]+/" },
    },
    {
      name: "lib-leaf-imports-lib",
      severity: "error",
      comment:
        `lib's leaves (${LEAVES.join(", ")}) are imported from all over lib, so they import each other only: ` +
        "importing anything else from lib closes a loop through the leaf.",
      from: { path: LEAF },
      to: { path: "^lib/", pathNot: LEAF },
    },
    {
      name: "db-imports-lib",
      severity: "error",
      comment: `lib/db is the bottom layer: besides itself it may import lib's leaves (${LEAVES.join(", ")}) only.`,
      from: { path: "^lib/db/" },
      to: { path: "^lib/", pathNot: ["^lib/db/", LEAF] },
    },
    {
      name: "lib-imports-routes",
      severity: "error",
      comment: "Routes (app/, pages/) call lib, never the other way round.",
      from: { path: "^lib/", pathNot: TEST_HELPERS },
      to: { path: "^(app|pages)/" },
    },
    {
      name: "emulator-imports-app-code",
      severity: "error",
      comment:
        "The emulator plays WeChat: its own server and origin, sharing no code with the app. " +
        "The one thing both sides share is the demo apps' credentials (lib/demo-apps.ts, a leaf of plain constants): " +
        "the emulator serves them and the app uses them when no WeChat credentials are configured.",
      from: { path: "^emulator/" },
      to: { path: "^(app|pages|lib)/", pathNot: "^lib/demo-apps\\.ts$" },
    },
    {
      name: "app-imports-test-code",
      severity: "error",
      comment: "The app never loads the emulator, the e2e suite, benchmarks or lib/test's helpers: they exist for tests only.",
      from: { path: "^(app|pages|lib)/|^(instrumentation|next\\.config|proxy|middleware)\\.ts$", pathNot: ["^lib/test/", TESTS] },
      to: { path: "^(emulator|e2e|bench|scripts|lib/test)/" },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules", "^lib/db/generated/", TESTS, TEST_HELPERS] },
    exclude: { path: "^(\\.next[^/]*|\\.data|tools/prisma-cli|playwright-report|test-results)/" },
    // Type-only imports count: a type still ties one layer to another.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

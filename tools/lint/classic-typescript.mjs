// Makes `typescript` mean TypeScript 6 (the `typescript-classic` package alias) in the process that loads this first.
//
// typescript-eslint and dependency-cruiser parse with the classic TypeScript compiler API (ts.createSourceFile, ...).
// TypeScript 7, the Go-native compiler this project type-checks with, no longer ships that API; typescript-eslint
// supports TypeScript < 6.1 and dependency-cruiser < 7. So both tools parse with TypeScript 6, installed beside 7 as
// `"typescript-classic": "npm:typescript@6.0.3"`, while `tsc` stays 7. package.json's
// `"overrides": { "typescript": "$typescript" }` only lets npm install typescript-eslint despite its peer range.
// Remove this file, the alias and the override once both tools support TypeScript 7.
import Module, { register } from "node:module";
import { toClassic } from "./classic-typescript-specifier.mjs";

// CommonJS: typescript-eslint require()s "typescript"; dependency-cruiser require()s "typescript/package.json".
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, toClassic(request), ...rest);
};

// ES modules: dependency-cruiser import()s "typescript".
register("./classic-typescript-hooks.mjs", import.meta.url);

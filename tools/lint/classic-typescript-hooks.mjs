// Module resolve hook (node:module register) for ES imports; see classic-typescript.mjs.
import { toClassic } from "./classic-typescript-specifier.mjs";

export async function resolve(specifier, context, nextResolve) {
  return nextResolve(toClassic(specifier), context);
}

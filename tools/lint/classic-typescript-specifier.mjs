const CLASSIC = "typescript-classic";

/** "typescript" and "typescript/<subpath>" name the alias instead; every other specifier is left alone. */
export function toClassic(specifier) {
  if (specifier === "typescript" || specifier.startsWith("typescript/")) return CLASSIC + specifier.slice("typescript".length);
  return specifier;
}

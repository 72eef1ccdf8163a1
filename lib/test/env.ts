/** Environment switches inside a test file (restored by `vi.unstubAllEnvs()`, which useTestEmulator calls). */
import { afterEach, vi } from "vitest";
import { reloadEnv } from "@/lib/env";

/** Sets each variable (or, given undefined, removes it) and re-reads the environment. */
export function withEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
  reloadEnv();
}

const LIMIT_VARIABLES = ["LIMIT_LOGIN_PER_IP", "LIMIT_LOGIN_PER_BROWSER", "LIMIT_STREAMS_PER_IP", "LIMIT_STREAMS_PER_BROWSER"];

/** Back to the default abuse limits of the sign-in flows. */
export function withDefaultLimits(): void {
  withEnv(Object.fromEntries(LIMIT_VARIABLES.map((name) => [name, undefined])));
}

/**
 * Undoes every variable a test set, after each test. Not for files with useTestEmulator: it
 * would undo the emulator's own settings too (reset what you set with withEnv there).
 */
export function restoreEnvAfterEach(): void {
  afterEach(() => {
    vi.unstubAllEnvs();
    reloadEnv();
  });
}

/**
 * The WeChat emulator for one test file: started on a free port before the file's tests, with the
 * app's environment pointed at it, and stopped after them (environment restored, login bus closed).
 */
import { afterAll, beforeAll, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { reloadEnv } from "@/lib/env";
import { closeLoginBus } from "@/lib/login/bus";

/** Registers the hooks; `url` is readable once the file's tests run. */
export function useTestEmulator(options: { callbackDomain: string; env?: Record<string, string> }): { readonly url: string } {
  let emulator: RunningEmulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, host: "127.0.0.1", callbackDomains: [options.callbackDomain] });
    vi.stubEnv("WECHAT_EMULATOR_URL", emulator.url);
    for (const [name, value] of Object.entries(options.env ?? {})) vi.stubEnv(name, value);
    reloadEnv();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    reloadEnv();
    await closeLoginBus();
    await emulator?.close();
  });
  return {
    get url() {
      if (!emulator) throw new Error("the emulator starts in beforeAll; read its url inside a test or hook");
      return emulator.url;
    },
  };
}

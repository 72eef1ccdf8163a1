/**
 * The WeChat emulator for one test file: started on a free port before the file's tests, with the
 * app's environment pointed at it, and stopped after them (environment restored, login bus closed).
 */
import { afterAll, beforeAll, expect, vi } from "vitest";
import { startEmulator, type RunningEmulator } from "@/emulator/server";
import { reloadEnv } from "@/lib/env";
import { closeLoginBus } from "@/lib/login/bus";
import { forgetQuotaReadings } from "@/lib/wechat/diagnostics";

export type TestEmulator = {
  readonly url: string;
  /** Calls of each WeChat endpoint since the last reset (`cgi-bin/qrcode/create`: 3). */
  stats(): Promise<Record<string, number>>;
  /** Calls the control API (`faults`, `qr/<uuid>/confirm`, `settings`, …) and returns its JSON. */
  control<T = unknown>(path: string, body?: unknown): Promise<T>;
  /**
   * Forgets every code, token, fault, quota counter and rid the emulator holds, and what this process
   * cached from it: app tokens (they would name tokens the emulator no longer knows) and quota readings.
   */
  reset(): Promise<void>;
  /**
   * Opens WeChat's full-page QR at `qrconnectUrl` and has `user`'s phone confirm it: the code and
   * the redirect WeChat's page then navigates to.
   */
  scanWebsiteQr(qrconnectUrl: string, user: string): Promise<{ code: string; redirect: string }>;
};

/** Registers the hooks; `url` is readable once the file's tests run. */
export function useTestEmulator(options: { callbackDomain: string; env?: Record<string, string> }): TestEmulator {
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
  const handle: TestEmulator = {
    get url() {
      if (!emulator) throw new Error("the emulator starts in beforeAll; read its url inside a test or hook");
      return emulator.url;
    },
    async stats() {
      return (await (await fetch(`${handle.url}/_emulator/stats`)).json()) as Record<string, number>;
    },
    async control<T>(path: string, body: unknown = {}) {
      const response = await fetch(`${handle.url}/_emulator/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async reset() {
      await handle.control("reset");
      forgetAppTokens();
      forgetQuotaReadings();
    },
    async scanWebsiteQr(qrconnectUrl, user) {
      const page = await (await fetch(qrconnectUrl)).text();
      const uuid = /data-uuid="([^"]+)"/.exec(page)?.[1];
      expect(uuid).toBeTruthy();
      return handle.control<{ code: string; redirect: string }>(`qr/${uuid}/confirm`, { user });
    },
  };
  return handle;
}

/** Empties this process's cache of app access tokens (lib/wechat/app-token.ts). */
export function forgetAppTokens(): void {
  (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
}

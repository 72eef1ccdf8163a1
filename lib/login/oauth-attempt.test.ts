/**
 * The browser-bound attempt of the OAuth surfaces: a state minted for one browser and mode,
 * within the per-browser and per-address limits. On the embedded database and (with
 * TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { testDatabases } from "@/lib/test/databases";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { startOAuthAttempt } from "./oauth-attempt";

const OA = "wx8e0b5c61d2a3f4a0";

restoreEnvAfterEach();

describe.each(testDatabases())("starting an OAuth attempt on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await (await db()).limitHit.deleteMany();
  });

  it("mints a state for this browser and mode that outlives WeChat's 10-minute code", async () => {
    const bindingHash = sha256(randomToken(32));
    const before = Date.now();
    const { state, expiresAt } = await startOAuthAttempt({ appId: OA, mode: "oa_userinfo", returnTo: "/docs", bindingHash, ip: "203.0.113.7" });
    // WeChat's state rule for the Official Account: at most 128 of [A-Za-z0-9].
    expect(state).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(expiresAt.getTime()).toBeGreaterThanOrEqual(before + 30 * 60_000);
    const row = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(state) } });
    expect(row).toMatchObject({ appId: OA, mode: "oa_userinfo", returnTo: "/docs", bindingHash, expiresAt, consumedAt: null });
  });

  it("refuses a browser past its limit with rate_limited and a wait, and mints nothing", async () => {
    withEnv({ LIMIT_LOGIN_PER_BROWSER: "2" });
    const bindingHash = sha256(randomToken(32));
    const start = () => startOAuthAttempt({ appId: OA, mode: "redirect", returnTo: "/account", bindingHash, ip: null });
    await start();
    await start();
    const refused = start();
    const error = await refused.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: "rate_limited", detail: { bucket: "login.browser" } });
    expect((error as AppError).retryAfterSeconds).toBeGreaterThan(590);
    expect(await (await db()).wechatLoginState.count({ where: { bindingHash } })).toBe(2);
  });

  it("refuses an address past its limit, whatever new cookies its requests bring", async () => {
    withEnv({ LIMIT_LOGIN_PER_IP: "2" });
    const start = (ip: string) => startOAuthAttempt({ appId: OA, mode: "embedded", returnTo: "/account", bindingHash: sha256(randomToken(32)), ip });
    await start("198.51.100.30");
    await start("198.51.100.30");
    await expect(start("198.51.100.30")).rejects.toMatchObject({ code: "rate_limited", detail: { bucket: "login.ip" } });
    await expect(start("198.51.100.31")).resolves.toMatchObject({ state: expect.any(String) });
  });
});

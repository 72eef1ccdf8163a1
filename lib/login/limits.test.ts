/**
 * The abuse limits of the sign-in flows: new login states and tickets per browser and per
 * address, and leases on open live-status streams. On the embedded database and (with
 * TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { loginLimits, releaseStreamLease, takeLoginLimits, takeStreamLease } from "./limits";
import { startOAuthAttempt } from "./oauth-attempt";

restoreEnvAfterEach();

describe("loginLimits", () => {
  it("limits a browser, and its address when it has a trusted one, per 10 minutes", () => {
    withEnv({ LIMIT_LOGIN_PER_BROWSER: "7", LIMIT_LOGIN_PER_IP: "70" });
    expect(loginLimits("hash", "203.0.113.7")).toEqual([
      { bucket: "login.browser", key: "hash", max: 7, ttlSeconds: 600 },
      { bucket: "login.ip", key: "203.0.113.7", max: 70, ttlSeconds: 600 },
    ]);
    expect(loginLimits("hash", null)).toEqual([{ bucket: "login.browser", key: "hash", max: 7, ttlSeconds: 600 }]);
  });
});

describe.each(testDatabases())("sign-in limits on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await (await db()).limitHit.deleteMany();
  });

  it("counts tickets and login states of a browser together", async () => {
    withEnv({ LIMIT_LOGIN_PER_BROWSER: "2" });
    const bindingHash = sha256(randomToken(32));
    expect((await takeLoginLimits(bindingHash, null)).ok).toBe(true);
    expect((await takeLoginLimits(bindingHash, null)).ok).toBe(true);
    await expect(startOAuthAttempt({ appId: "wx8e0b5c61d2a3f470", mode: "redirect", returnTo: "/account", bindingHash, ip: null })).rejects.toMatchObject({
      code: "rate_limited",
    });
  });

  it("leases open streams per browser and per address, and a released lease is free again", async () => {
    withEnv({ LIMIT_STREAMS_PER_BROWSER: "2", LIMIT_STREAMS_PER_IP: "3" });
    const bindingHash = sha256(randomToken(32));
    const first = await takeStreamLease(bindingHash, "203.0.113.8");
    expect(first.ok).toBe(true);
    expect((await takeStreamLease(bindingHash, "203.0.113.8")).ok).toBe(true);
    expect(await takeStreamLease(bindingHash, "203.0.113.8")).toMatchObject({ ok: false, bucket: "stream.browser" });
    // Another browser on that address has one place left there.
    expect((await takeStreamLease(sha256(randomToken(32)), "203.0.113.8")).ok).toBe(true);
    expect(await takeStreamLease(sha256(randomToken(32)), "203.0.113.8")).toMatchObject({ ok: false, bucket: "stream.ip" });

    if (!first.ok) throw new Error("refused");
    await releaseStreamLease(first.ids);
    expect((await takeStreamLease(bindingHash, "203.0.113.8")).ok).toBe(true);
  });
});

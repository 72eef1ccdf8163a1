/**
 * The Official Account client against the emulator over HTTP: the app access token from
 * `stable_token`, cached in the process and the database, refreshed when WeChat says it went bad;
 * the QR and follower calls that use it. On the embedded database and (with TEST_DATABASE_URL)
 * PostgreSQL, where the token is shared between instances.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor, unionidFor } from "@/emulator/config";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { forgetAppTokens, useTestEmulator } from "@/lib/test/emulator";
import { startTicket } from "@/lib/test/tickets";
import { createTempQr, getAppAccessToken, getFollower } from "./official-account";

const OA = DEMO_OFFICIAL_ACCOUNT;
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

async function newTicket() {
  return startTicket({ ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
}

describe.each(testDatabases())("the Official Account client on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    // A fresh database per run, but the process-level token cache would survive: reset() clears it.
    await emulator.reset();
    // The token another test stored names one the emulator has just forgotten.
    await (await db()).appAccessToken.deleteMany();
  });

  it("fetches the app access token once from stable_token, not once per QR", async () => {
    await newTicket();
    await newTicket();
    await newTicket();
    const counts = await emulator.stats();
    expect(counts["cgi-bin/qrcode/create"]).toBe(3);
    expect(counts["cgi-bin/stable_token"]).toBe(1);
    expect(counts["cgi-bin/token"]).toBe(0);
  });

  it("fetches a fresh app token when the stored one was sealed under another secret", async () => {
    await newTicket();
    const prisma = await db();
    await prisma.appAccessToken.updateMany({ data: { tokenEnc: "v1.bm90.c2VhbGVk.YnlfdXM" } });
    forgetAppTokens();
    await expect(newTicket()).resolves.toMatchObject({ ticket: { status: "waiting" } });
  });

  it("asks WeChat once when parallel requests find no token, and another instance reads it from the database", async () => {
    const tokens = await Promise.all([getAppAccessToken(), getAppAccessToken(), getAppAccessToken()]);
    expect(new Set(tokens).size).toBe(1);
    // Another instance: nothing in its memory, the token in the shared database.
    forgetAppTokens();
    expect(await getAppAccessToken()).toBe(tokens[0]);
    expect((await emulator.stats())["cgi-bin/stable_token"]).toBe(1);
    // Stored sealed, never in the clear.
    const row = await (await db()).appAccessToken.findUniqueOrThrow({ where: { appId: OA.appId } });
    expect(row.tokenEnc).not.toContain(tokens[0]);
  });

  it("fetches a new token and retries once when WeChat says the token went bad", async () => {
    await createTempQr("login_first", 300);
    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 40001 });
    await expect(createTempQr("login_second", 300)).resolves.toMatchObject({ url: expect.any(String) });
    const counts = await emulator.stats();
    expect(counts["cgi-bin/stable_token"]).toBe(2);
    expect(counts["cgi-bin/qrcode/create"]).toBe(3);
  });

  it("retries a bad token only once, and no other errcode at all", async () => {
    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 40001, times: 2 });
    await expect(createTempQr("login_twice_bad", 300)).rejects.toMatchObject({ errcode: 40001 });
    expect((await emulator.stats())["cgi-bin/qrcode/create"]).toBe(2);

    await emulator.reset();
    await (await db()).appAccessToken.deleteMany();
    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 45009 });
    await expect(createTempQr("login_quota", 300)).rejects.toMatchObject({ errcode: 45009, code: "45009" });
    const counts = await emulator.stats();
    expect(counts["cgi-bin/qrcode/create"]).toBe(1);
    expect(counts["cgi-bin/stable_token"]).toBe(1);
  });

  it("reads a follower's unionid, and refuses an openid that is not the account's", async () => {
    const follower = await getFollower(openidFor(OA.appId, "lin"));
    expect(follower.openid).toBe(openidFor(OA.appId, "lin"));
    expect(follower.unionid).toBe(unionidFor("demo", "lin"));
    await expect(getFollower(openidFor("wx8e0b5c61d2a3f470", "lin"))).rejects.toMatchObject({ errcode: 40003 });
  });
});

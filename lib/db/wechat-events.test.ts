/**
 * WeChat events as the console's health page reads them: stored without a query string, listed
 * newest first, counted by kind, endpoint and errcode; a write that cannot happen never throws.
 * On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, db } from "./client";
import { testDatabases } from "@/lib/test/databases";
import { countWechatEvents, listWechatEvents, recordWechatEvent } from "./wechat-events";

describe.each(testDatabases())("WeChat events on $name", (database) => {
  beforeAll(async () => {
    await database.setUp();
    // As the server does at start (instrumentation.ts): events go only into an open database.
    await db();
  });
  afterAll(() => database.tearDown());

  it("keeps each event, newest first, with the endpoint's path only", async () => {
    const since = new Date(Date.now() - 1000);
    await recordWechatEvent({ kind: "api_error", endpoint: "/sns/oauth2/access_token?appid=wx1&secret=s3cr3t&code=c0de", errcode: 40029, rid: "rid-1" });
    await recordWechatEvent({ kind: "api_error", endpoint: "/sns/oauth2/access_token", errcode: 40029, rid: "rid-2" });
    await recordWechatEvent({ kind: "token_refresh_failed", appId: "wxoa", endpoint: "/cgi-bin/stable_token", errcode: 40164 });
    await recordWechatEvent({ kind: "push_rejected", reason: "bad_signature" });

    const all = await listWechatEvents({ since });
    expect(all.map((event) => event.kind)).toEqual(["push_rejected", "token_refresh_failed", "api_error", "api_error"]);
    expect(all.map((event) => event.endpoint)).toEqual([null, "cgi-bin/stable_token", "sns/oauth2/access_token", "sns/oauth2/access_token"]);
    expect(JSON.stringify(all)).not.toMatch(/s3cr3t|c0de/);
    expect(await listWechatEvents({ kind: "token_refresh_failed" })).toMatchObject([{ appId: "wxoa", errcode: 40164 }]);
    expect(await listWechatEvents({ limit: 1 })).toHaveLength(1);

    expect(await countWechatEvents(since)).toEqual([
      { kind: "api_error", endpoint: "sns/oauth2/access_token", errcode: 40029, count: 2, lastAt: expect.any(Date) },
      expect.objectContaining({ count: 1 }),
      expect.objectContaining({ count: 1 }),
    ]);
    expect(await countWechatEvents(new Date(Date.now() + 60_000))).toEqual([]);
  });

  it("never throws, and writes nothing, when the database is not open", async () => {
    await closeDatabase();
    await expect(recordWechatEvent({ kind: "api_error", endpoint: "/sns/userinfo", errcode: 40001 })).resolves.toBeUndefined();
    expect((await listWechatEvents({ kind: "api_error" })).some((event) => event.endpoint === "sns/userinfo")).toBe(false);
  });
});

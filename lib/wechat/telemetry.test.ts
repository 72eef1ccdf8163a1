/**
 * What the WeChat client reports, against the emulator over HTTP: every call in
 * `wechat_login_wechat_api_calls_total` (errcodes and transport failures included), app-token
 * fetches and refreshes, and the errcodes and failed refreshes kept as WeChat events for the
 * console. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WEB_APP } from "@/emulator/config";
import { db } from "@/lib/db/client";
import { listWechatEvents } from "@/lib/db/wechat-events";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { renderMetrics } from "@/lib/telemetry";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withEnv } from "@/lib/test/env";
import { WechatApiError, WechatTransportError } from "./api-client";
import { getAppAccessToken, withAppToken } from "./app-token";
import { exchangeCode } from "./sns";

const OA = { appId: DEMO_OFFICIAL_ACCOUNT.appId, secret: DEMO_OFFICIAL_ACCOUNT.secret };
const emulator = useTestEmulator({ callbackDomain: "localhost:3988", env: { METRICS_TOKEN: "wechat-metrics-token-0123456789" } });

async function samples(): Promise<string[]> {
  return (await renderMetrics()).body.split("\n").filter((line) => line.startsWith("wechat_login_") && !line.includes("_bucket"));
}

describe.each(testDatabases())("the WeChat client's telemetry on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await emulator.reset();
    await (await db()).appAccessToken.deleteMany();
    resetMetrics();
  });

  it("counts each call by endpoint and errcode, and keeps the errcodes as events", async () => {
    await expect(exchangeCode({ appId: WEB_APP.appid, secret: WEB_APP.secret }, "not-a-code-0123")).rejects.toBeInstanceOf(WechatApiError);
    const lines = await samples();
    const failed = lines.find((line) => line.startsWith('wechat_login_wechat_api_calls_total{endpoint="/sns/oauth2/access_token",errcode="4'));
    expect(failed).toMatch(/ 1$/);
    expect(lines).toContain('wechat_login_wechat_api_duration_seconds_count{endpoint="/sns/oauth2/access_token"} 1');
    // The client keeps the event without holding up the caller: wait for the row.
    await expect
      .poll(async () => (await listWechatEvents({ kind: "api_error" }))[0])
      .toMatchObject({ endpoint: "sns/oauth2/access_token", errcode: Number(/errcode="(\d+)"/.exec(failed ?? "")?.[1]) });
  });

  it("counts a token fetch, then a refresh when WeChat refuses the token", async () => {
    await getAppAccessToken(OA);
    let calls = 0;
    await withAppToken(OA, async () => {
      // WeChat saying the token went bad once: the client refreshes and retries.
      if (calls++ === 0) throw new WechatApiError(40001, "invalid credential", undefined);
      return "done";
    });
    const lines = await samples();
    expect(lines).toContain('wechat_login_access_token_fetches_total{kind="fetch",result="ok"} 1');
    expect(lines).toContain('wechat_login_access_token_fetches_total{kind="refresh",result="ok"} 1');
    expect(lines).toContain('wechat_login_wechat_api_calls_total{endpoint="/cgi-bin/stable_token",errcode="0"} 2');
  });

  it("counts a failed token fetch and keeps it as token_refresh_failed", async () => {
    await expect(getAppAccessToken({ appId: OA.appId, secret: "0".repeat(32) })).rejects.toBeInstanceOf(WechatApiError);
    expect(await samples()).toContain('wechat_login_access_token_fetches_total{kind="fetch",result="error"} 1');
    const [event] = await listWechatEvents({ kind: "token_refresh_failed" });
    expect(event).toMatchObject({ appId: OA.appId, endpoint: "cgi-bin/stable_token" });
    expect(event?.errcode).toBeGreaterThan(0);
    // One failure, one row: not also an api_error of the same call.
    expect((await listWechatEvents({ kind: "api_error" })).filter((other) => other.endpoint === "cgi-bin/stable_token")).toEqual([]);
  });

  it("counts a call that never reached WeChat as errcode transport", async () => {
    const url = emulator.url;
    withEnv({ WECHAT_EMULATOR_URL: "http://127.0.0.1:9" });
    try {
      await expect(exchangeCode({ appId: WEB_APP.appid, secret: WEB_APP.secret }, "any-code-0123")).rejects.toBeInstanceOf(WechatTransportError);
    } finally {
      withEnv({ WECHAT_EMULATOR_URL: url });
    }
    expect(await samples()).toContain('wechat_login_wechat_api_calls_total{endpoint="/sns/oauth2/access_token",errcode="transport"} 1');
  });
});

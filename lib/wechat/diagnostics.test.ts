/**
 * The diagnostics module against the emulator over HTTP: quota readings of every Official Account and mini
 * program (and what happens when a path runs out), and rid explanations with their secrets redacted, on the
 * embedded database and (with TEST_DATABASE_URL) PostgreSQL, where the app tokens are kept.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { db } from "@/lib/db/client";
import { DEMO_MINI_PROGRAMS, DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { forgetAppTokens, useTestEmulator } from "@/lib/test/emulator";
import { WechatApiError } from "./api-client";
import { getAppAccessToken } from "./app-token";
import { describeWechatAppById } from "./apps";
import { explainRid, QUOTA_PATHS, readQuotas, redactSecrets, type QuotaReading } from "./diagnostics";
import { createTempQr, getFollower } from "./official-account";

const OA = DEMO_OFFICIAL_ACCOUNT;
const MP = DEMO_MINI_PROGRAMS.mp;
const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

function readingOf(readings: QuotaReading[], appId: string, endpoint: string): QuotaReading {
  const reading = readings.find((candidate) => candidate.appId === appId && candidate.endpoint === endpoint);
  if (!reading) throw new Error(`no reading for ${appId} ${endpoint}`);
  return reading;
}

async function failedRid(call: () => Promise<unknown>): Promise<string> {
  const error = await call().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!(error instanceof WechatApiError) || !error.rid) throw new Error(`expected a WeChat error with a rid, got ${String(error)}`);
  return error.rid;
}

describe("which app an appid is", () => {
  it("knows website apps, Official Accounts and mini programs, and nothing else", () => {
    expect(describeWechatAppById(DEMO_WECHAT_APPS.web.appId)).toEqual({ kind: "website", key: "web", appId: DEMO_WECHAT_APPS.web.appId });
    expect(describeWechatAppById(OA.appId)).toEqual({ kind: "official_account", key: "oa", appId: OA.appId });
    expect(describeWechatAppById(DEMO_MINI_PROGRAMS.mpSolo.appId)).toEqual({ kind: "mini_program", key: "mp-solo", appId: DEMO_MINI_PROGRAMS.mpSolo.appId });
    expect(describeWechatAppById("wx0000000000000000")).toBeUndefined();
  });
});

describe("redacting an explained call", () => {
  it("hides credential values in queries, forms and JSON, and the secrets it knows anywhere", () => {
    expect(redactSecrets("access_token=92_abc&openid=oXYZ&lang=zh_CN")).toBe("access_token=[redacted]&openid=oXYZ&lang=zh_CN");
    expect(redactSecrets("appid=wx1&secret=s3cr3t&js_code=abc&grant_type=authorization_code")).toBe(
      "appid=wx1&secret=[redacted]&js_code=[redacted]&grant_type=authorization_code",
    );
    expect(redactSecrets('{"appid":"wx1","secret":"s3cr3t","force_refresh":false}')).toBe('{"appid":"wx1","secret":"[redacted]","force_refresh":false}');
    expect(redactSecrets('{"errcode":40029,"errmsg":"invalid code, rid: 1"}')).toBe('{"errcode":40029,"errmsg":"invalid code, rid: 1"}');
    expect(redactSecrets("note: c0ffee00d1e2f3a4 here", new Set(["c0ffee00d1e2f3a4"]))).toBe("note: [redacted] here");
  });
});

describe.each(testDatabases())("WeChat diagnostics on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await emulator.reset();
    await (await db()).appAccessToken.deleteMany();
  });

  it("reads each Official Account's and mini program's quota, cached until asked fresh", async () => {
    const readings = await readQuotas();
    expect(readings.filter((reading) => reading.appId === OA.appId).map((reading) => reading.endpoint)).toEqual([...QUOTA_PATHS]);
    expect(readingOf(readings, MP.appId, "/wxa/getwxacodeunlimit")).toMatchObject({ ok: true, kind: "mini_program", appKey: "mp", used: 0 });
    expect(readings.every((reading) => reading.ok)).toBe(true);
    // Reading spent one stable_token call per app, and nothing else yet.
    expect(readingOf(readings, OA.appId, "/cgi-bin/stable_token")).toMatchObject({
      ok: true,
      kind: "official_account",
      dailyLimit: 500_000,
      used: 1,
      remain: 499_999,
    });
    expect(readingOf(readings, OA.appId, "/cgi-bin/qrcode/create")).toMatchObject({ ok: true, dailyLimit: 100_000, used: 0, remain: 100_000 });

    await createTempQr("login_quota_1", 300);
    await createTempQr("login_quota_2", 300);
    await getFollower(openidFor(OA.appId, "lin"));
    const asked = (await emulator.stats())["cgi-bin/openapi/quota/get"];
    expect(readingOf(await readQuotas(), OA.appId, "/cgi-bin/qrcode/create")).toMatchObject({ used: 0 });
    expect((await emulator.stats())["cgi-bin/openapi/quota/get"]).toBe(asked);

    const fresh = await readQuotas({ fresh: true });
    expect(readingOf(fresh, OA.appId, "/cgi-bin/qrcode/create")).toMatchObject({ ok: true, used: 2, remain: 99_998 });
    expect(readingOf(fresh, OA.appId, "/cgi-bin/user/info")).toMatchObject({ ok: true, used: 1 });
  });

  it("shows a spent quota as remain 0 once WeChat answers 45009", async () => {
    await emulator.control("settings", { dailyQuota: { "/cgi-bin/qrcode/create": 1 } });
    await createTempQr("login_once", 300);
    await expect(createTempQr("login_twice", 300)).rejects.toMatchObject({ errcode: 45009, code: "45009" });
    expect(readingOf(await readQuotas({ fresh: true }), OA.appId, "/cgi-bin/qrcode/create")).toMatchObject({ ok: true, dailyLimit: 1, used: 1, remain: 0 });
  });

  it("says 'not metered' for WeChat's 76021, and names the failure of a path it could not read", async () => {
    await emulator.control("faults", { endpoint: "cgi-bin/openapi/quota/get", errcode: 76021 });
    const first = await readQuotas({ fresh: true });
    expect(first.filter((reading) => reading.status === "not_metered")).toHaveLength(1);
    expect(first.find((reading) => reading.status === "not_metered")).toMatchObject({ ok: false, errorCode: "76021", errcode: 76021 });

    await emulator.control("faults", { endpoint: "cgi-bin/openapi/quota/get", status: 502, times: 2 });
    await emulator.control("faults", { endpoint: "cgi-bin/openapi/quota/get", errcode: 45009 });
    const failed = (await readQuotas({ fresh: true })).filter((reading) => reading.status === "failed");
    expect(failed.map((reading) => (reading.ok ? "" : reading.errorCode)).sort()).toEqual(["45009", "upstream_unavailable", "upstream_unavailable"]);
  });

  it("explains a failed call with WeChat's answer, the access token redacted", async () => {
    const token = await getAppAccessToken(OA);
    const rid = await failedRid(() => getFollower(openidFor(DEMO_WECHAT_APPS.web.appId, "lin")));

    const explanation = await explainRid(rid, { appId: OA.appId });
    if (!explanation.ok) throw new Error(`not explained: ${explanation.errorCode}`);
    expect(explanation.requestUrl).toContain("access_token=[redacted]");
    expect(explanation.requestUrl).toContain(`openid=${openidFor(DEMO_WECHAT_APPS.web.appId, "lin")}`);
    expect(explanation.requestUrl).not.toContain(token);
    expect(explanation.requestBody).toBeNull();
    expect(JSON.parse(explanation.responseBody)).toMatchObject({ errcode: 40003, errmsg: expect.stringContaining(rid) });
    expect(explanation.clientIp).toBe("127.0.0.1");
    expect(Math.abs(explanation.invokeTime.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("redacts the AppSecret a failed token request carried", async () => {
    await emulator.control("faults", { endpoint: "cgi-bin/stable_token", errcode: -1 });
    const rid = await failedRid(() => getAppAccessToken(OA));
    const explanation = await explainRid(rid, { appId: OA.appId });
    if (!explanation.ok) throw new Error(`not explained: ${explanation.errorCode}`);
    expect(JSON.parse(explanation.requestBody ?? "{}")).toEqual({
      grant_type: "client_credential",
      appid: OA.appId,
      secret: "[redacted]",
      force_refresh: false,
    });
    expect(JSON.stringify(explanation)).not.toContain(OA.secret);
  });

  it("refuses a malformed rid, an unknown app and a website app without asking WeChat", async () => {
    const WEB = DEMO_WECHAT_APPS.web.appId;
    expect(await explainRid("not-a-rid", { appId: OA.appId })).toEqual({ ok: false, rid: "not-a-rid", errorCode: "rid_invalid" });
    expect(await explainRid("645ca8fe-448ccd42-1a78a4b0", { appId: "wx0000000000000000" })).toMatchObject({ ok: false, errorCode: "unknown_app" });
    expect(await explainRid("645ca8fe-448ccd42-1a78a4b0", { appId: WEB })).toMatchObject({ ok: false, errorCode: "rid_unexplainable" });
    const counts = await emulator.stats();
    expect(counts["cgi-bin/openapi/rid/get"]).toBe(0);
    expect(counts["cgi-bin/stable_token"]).toBe(0);
  });

  it("maps WeChat's refusals: not found, another account's, older than 7 days, unreachable", async () => {
    expect(await explainRid("645ca8fe-448ccd42-1a78a4b0", { appId: OA.appId })).toEqual({
      ok: false,
      rid: "645ca8fe-448ccd42-1a78a4b0",
      errorCode: "rid_not_found",
      errcode: 76001,
    });

    // A mini program's token on an Official Account API: the rid is the mini program's.
    const mpToken = await getAppAccessToken(MP);
    const reply = (await (
      await fetch(`${emulator.url}/cgi-bin/qrcode/create?access_token=${encodeURIComponent(mpToken)}`, { method: "POST", body: "{}" })
    ).json()) as {
      errcode: number;
      errmsg: string;
    };
    expect(reply.errcode).toBe(48001);
    const rid = /rid: (\S+)/.exec(reply.errmsg)?.[1] ?? "";
    expect(await explainRid(rid, { appId: OA.appId })).toMatchObject({ ok: false, errorCode: "rid_not_ours", errcode: 76003 });
    expect(await explainRid(rid, { appId: MP.appId })).toMatchObject({ ok: true, rid });

    await emulator.control("faults", { endpoint: "cgi-bin/openapi/rid/get", status: 502 });
    expect(await explainRid(rid, { appId: MP.appId })).toMatchObject({ ok: false, errorCode: "upstream_unavailable" });

    // A week later the emulator's tokens have expired too: the token is renewed, the rid is not.
    await emulator.control("clock", { advanceSeconds: 7 * 86_400 + 60 });
    forgetAppTokens();
    await (await db()).appAccessToken.deleteMany();
    expect(await explainRid(rid, { appId: MP.appId })).toMatchObject({ ok: false, errorCode: "rid_expired", errcode: 76004 });
  });
});

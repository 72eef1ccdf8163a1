import { describe, expect, it } from "vitest";
import { MP_APP, OA_APP, openidFor, WEB_APP } from "./config";
import { callCgi, callControl, callSns, useEmulatorServer } from "./test-helpers";

const server = useEmulatorServer();

const CGI_RID = /^reach max api daily quota limit, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const RID = /[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}/;

type Answer = { errcode?: number; errmsg?: string } & Record<string, unknown>;
type Quota = { daily_limit: number; used: number; remain: number };
type Explained = { invoke_time: number; cost_in_ms: number; request_url: string; request_body: string; response_body: string; client_ip: string };

async function stableToken(app: { appid: string; secret: string } = OA_APP): Promise<string> {
  const answer = await callCgi<{ access_token: string }>(server.url, "stable_token", {
    json: { grant_type: "client_credential", appid: app.appid, secret: app.secret },
  });
  return answer.body.access_token;
}

function quotaGet(token: string, cgiPath: unknown) {
  return callCgi<Answer & { quota?: Quota }>(server.url, "openapi/quota/get", { query: { access_token: token }, json: { cgi_path: cgiPath } });
}

function ridGet(token: string, rid: unknown) {
  return callCgi<Answer & { request?: Explained }>(server.url, "openapi/rid/get", { query: { access_token: token }, json: { rid } });
}

function createQr(token: string) {
  return callCgi<Answer & { ticket?: string }>(server.url, "qrcode/create", {
    query: { access_token: token },
    json: { expire_seconds: 300, action_name: "QR_STR_SCENE", action_info: { scene: { scene_str: "login_1" } } },
  });
}

function ridOf(answer: Answer): string {
  const rid = RID.exec(answer.errmsg ?? "")?.[0];
  if (!rid) throw new Error(`no rid in ${JSON.stringify(answer)}`);
  return rid;
}

describe("POST /cgi-bin/openapi/quota/get", () => {
  it("counts each metered call of an app per path, with WeChat's daily limits", async () => {
    const token = await stableToken();
    await stableToken();
    await createQr(token);
    await callCgi(server.url, "user/info", { query: { access_token: token, openid: openidFor(OA_APP.appid, "lin") } });

    expect((await quotaGet(token, "/cgi-bin/stable_token")).body).toEqual({
      errcode: 0,
      errmsg: "ok",
      quota: { daily_limit: 500_000, used: 2, remain: 499_998 },
    });
    expect((await quotaGet(token, "/cgi-bin/qrcode/create")).body.quota).toEqual({ daily_limit: 100_000, used: 1, remain: 99_999 });
    expect((await quotaGet(token, "/cgi-bin/user/info")).body.quota).toEqual({ daily_limit: 5_000_000, used: 1, remain: 4_999_999 });
    expect((await quotaGet(token, "/cgi-bin/token")).body.quota).toEqual({ daily_limit: 2000, used: 0, remain: 2000 });
    // Another app's counters are its own.
    const mpToken = await stableToken(MP_APP);
    expect((await quotaGet(mpToken, "/cgi-bin/stable_token")).body.quota).toMatchObject({ used: 1 });
    expect((await quotaGet(mpToken, "/wxa/getwxacodeunlimit")).body.quota).toEqual({ daily_limit: 7_200_000, used: 0, remain: 7_200_000 });
  });

  it("answers 45009 once a path's daily quota is spent, and starts over at midnight Beijing time", async () => {
    await callControl(server.url, "settings", { dailyQuota: { "/cgi-bin/qrcode/create": 2 } });
    const token = await stableToken();
    expect((await createQr(token)).body.ticket).toBeTruthy();
    expect((await createQr(token)).body.ticket).toBeTruthy();
    const refused = await createQr(token);
    expect(refused.status).toBe(200);
    expect(refused.headers.get("content-type")).toBe("application/json; encoding=utf-8");
    expect(refused.body).toEqual({ errcode: 45009, errmsg: expect.stringMatching(CGI_RID) });
    // Refused calls are not counted: used stops at the limit.
    expect((await quotaGet(token, "/cgi-bin/qrcode/create")).body.quota).toEqual({ daily_limit: 2, used: 2, remain: 0 });
    expect((await callControl<unknown[]>(server.url, "quota")).body).toContainEqual({
      appid: OA_APP.appid,
      path: "/cgi-bin/qrcode/create",
      dailyLimit: 2,
      used: 2,
      remain: 0,
    });

    // Advance to the next 00:00 in UTC+8.
    const { body: clock } = await callControl<{ now: string }>(server.url, "clock");
    const beijing = Date.parse(clock.now) + 8 * 3600_000;
    const toMidnight = Math.ceil((86_400_000 - (beijing % 86_400_000)) / 1000) + 1;
    await callControl(server.url, "clock", { advanceSeconds: toMidnight });
    const fresh = await stableToken();
    expect((await createQr(fresh)).body.ticket).toBeTruthy();
    expect((await quotaGet(fresh, "/cgi-bin/qrcode/create")).body.quota).toEqual({ daily_limit: 2, used: 1, remain: 1 });
  });

  it("runs out on the token endpoints and on a mini program's code too", async () => {
    await callControl(server.url, "settings", { dailyQuota: { "/cgi-bin/token": 1, "/wxa/getwxacodeunlimit": 1 } });
    const query = { grant_type: "client_credential", appid: OA_APP.appid, secret: OA_APP.secret };
    expect((await callCgi<Answer>(server.url, "token", { query })).body.access_token).toBeTruthy();
    expect((await callCgi<Answer>(server.url, "token", { query })).body).toMatchObject({ errcode: 45009 });

    const mpToken = await stableToken(MP_APP);
    const code = () =>
      fetch(`${server.url}/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(mpToken)}`, { method: "POST", body: JSON.stringify({ scene: "t=1" }) });
    expect((await code()).headers.get("content-type")).toBe("image/jpeg");
    const refused = (await (await code()).json()) as Answer;
    expect(refused).toEqual({ errcode: 45009, errmsg: expect.stringMatching(/^reach max api daily quota limit rid: /) });
  });

  it("says 76021 for paths it does not meter and 76022 for paths the account may not call", async () => {
    const oaToken = await stableToken();
    const mpToken = await stableToken(MP_APP);
    for (const path of ["/sns/oauth2/access_token", "/sns/jscode2session", "cgi-bin/qrcode/create", "/cgi-bin/nope"]) {
      expect((await quotaGet(oaToken, path)).body, path).toEqual({ errcode: 76021, errmsg: expect.stringMatching(/^cgi_path not found, please check, rid: /) });
    }
    expect((await quotaGet(oaToken, "/wxa/getwxacodeunlimit")).body).toMatchObject({ errcode: 76022 });
    expect((await quotaGet(mpToken, "/cgi-bin/qrcode/create")).body).toMatchObject({ errcode: 76022 });
    expect((await quotaGet(oaToken, 42)).body).toMatchObject({ errcode: 47001 });
  });

  it("checks the access token and the method like every /cgi-bin call", async () => {
    expect((await callCgi<Answer>(server.url, "openapi/quota/get", { json: { cgi_path: "/cgi-bin/token" } })).body).toMatchObject({ errcode: 41001 });
    expect((await quotaGet("92_unknownTokenValue", "/cgi-bin/token")).body).toMatchObject({ errcode: 40001 });
    expect((await quotaGet("not a token", "/cgi-bin/token")).body).toMatchObject({ errcode: 40014 });
    const token = await stableToken();
    await callControl(server.url, "clock", { advanceSeconds: 7300 });
    expect((await quotaGet(token, "/cgi-bin/token")).body).toMatchObject({ errcode: 42001 });
    expect((await callCgi<Answer>(server.url, "openapi/quota/get", { query: { access_token: await stableToken() } })).body).toMatchObject({ errcode: 43002 });
  });

  it("forgets every counter on reset", async () => {
    const token = await stableToken();
    await createQr(token);
    await callControl(server.url, "reset", {});
    const fresh = await stableToken();
    expect((await quotaGet(fresh, "/cgi-bin/qrcode/create")).body.quota).toMatchObject({ used: 0 });
    expect((await quotaGet(fresh, "/cgi-bin/stable_token")).body.quota).toMatchObject({ used: 1 });
  });
});

describe("POST /cgi-bin/openapi/rid/get", () => {
  it("explains a failed call of the same app: its query, body, answer, time, cost and caller", async () => {
    const token = await stableToken();
    const failed = await callCgi<Answer>(server.url, "qrcode/create", { query: { access_token: token }, json: { action_name: "NOPE" } });
    expect(failed.body.errcode).toBe(40052);
    const before = Math.floor(Date.now() / 1000);

    const explained = await ridGet(token, ridOf(failed.body));
    expect(explained.body).toMatchObject({ errcode: 0, errmsg: "ok" });
    const request = explained.body.request!;
    expect(request.request_url).toBe(`access_token=${encodeURIComponent(token)}`);
    expect(JSON.parse(request.request_body)).toEqual({ action_name: "NOPE" });
    expect(JSON.parse(request.response_body)).toEqual(failed.body);
    expect(request.client_ip).toBe("127.0.0.1");
    expect(request.cost_in_ms).toBeGreaterThanOrEqual(0);
    expect(Math.abs(request.invoke_time - before)).toBeLessThanOrEqual(2);
  });

  it("explains the 45009 of a spent quota, a faulted call and a failed token request", async () => {
    await callControl(server.url, "settings", { dailyQuota: { "/cgi-bin/qrcode/create": 0 } });
    const token = await stableToken();
    const refused = await createQr(token);
    expect(JSON.parse((await ridGet(token, ridOf(refused.body))).body.request!.response_body)).toMatchObject({ errcode: 45009 });

    await callControl(server.url, "faults", { endpoint: "cgi-bin/user/info", errcode: -1 });
    const faulted = await callCgi<Answer>(server.url, "user/info", { query: { access_token: token, openid: "x" } });
    expect((await ridGet(token, ridOf(faulted.body))).body).toMatchObject({ errcode: 0, request: { response_body: JSON.stringify(faulted.body) } });

    const wrongSecret = await callCgi<Answer>(server.url, "stable_token", {
      json: { grant_type: "client_credential", appid: OA_APP.appid, secret: "0".repeat(32) },
    });
    expect(wrongSecret.body.errcode).toBe(40125);
    const request = (await ridGet(token, ridOf(wrongSecret.body))).body.request!;
    // WeChat shows the body as sent, secret included: the app redacts it, not WeChat.
    expect(JSON.parse(request.request_body)).toMatchObject({ secret: "0".repeat(32) });
  });

  it("answers 76002 for a malformed rid and 76001 for one it never issued", async () => {
    const token = await stableToken();
    for (const rid of ["nope", "645CA8FE-448ccd42-1a78a4b0", "645ca8fe-448ccd42", 12]) {
      expect((await ridGet(token, rid)).body, String(rid)).toMatchObject({ errcode: 76002 });
    }
    expect((await ridGet(token, "645ca8fe-448ccd42-1a78a4b0")).body).toEqual({ errcode: 76001, errmsg: expect.stringMatching(/^rid not found, rid: /) });
  });

  it("answers 76003 for another app's rid, and for one whose call named no app", async () => {
    const oaToken = await stableToken();
    const mpToken = await stableToken(MP_APP);
    const failed = await createQr(mpToken);
    expect(failed.body.errcode).toBe(48001);
    expect((await ridGet(oaToken, ridOf(failed.body))).body).toMatchObject({ errcode: 76003 });
    expect((await ridGet(mpToken, ridOf(failed.body))).body).toMatchObject({ errcode: 0 });

    const unknownApp = await callCgi<Answer>(server.url, "token", { query: { grant_type: "client_credential", appid: "wx0000000000000000", secret: "x" } });
    expect((await ridGet(oaToken, ridOf(unknownApp.body))).body).toMatchObject({ errcode: 76003 });
  });

  it("explains the rids of a website app's /sns calls to nobody else", async () => {
    const failed = await callSns<Answer>(server.url, "oauth2/access_token", {
      appid: WEB_APP.appid,
      secret: WEB_APP.secret,
      code: "A".repeat(32),
      grant_type: "authorization_code",
    });
    expect(failed.body.errcode).toBe(40029);
    expect((await ridGet(await stableToken(), ridOf(failed.body))).body).toMatchObject({ errcode: 76003 });
  });

  it("answers 76004 once the rid is older than 7 days, and forgets every rid on reset", async () => {
    const token = await stableToken();
    const failed = await createQr("92_unknownTokenValue");
    const own = await callCgi<Answer>(server.url, "qrcode/create", { query: { access_token: token }, json: {} });
    expect(failed.body.errcode).toBe(40001);
    await callControl(server.url, "clock", { advanceSeconds: 6 * 86_400 });
    const later = await stableToken();
    expect((await ridGet(later, ridOf(own.body))).body).toMatchObject({ errcode: 0 });
    await callControl(server.url, "clock", { advanceSeconds: 86_400 + 60 });
    const latest = await stableToken();
    expect((await ridGet(latest, ridOf(own.body))).body).toMatchObject({ errcode: 76004, errmsg: expect.stringMatching(/^rid time is error, rid: /) });

    const recent = await callCgi<Answer>(server.url, "qrcode/create", { query: { access_token: latest }, json: {} });
    await callControl(server.url, "reset", {});
    expect((await ridGet(await stableToken(), ridOf(recent.body))).body).toMatchObject({ errcode: 76001 });
  });
});

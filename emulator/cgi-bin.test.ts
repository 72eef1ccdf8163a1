import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { DEMO_OPEN_ACCOUNT_ID, OA_APP, openidFor, unionidFor, WEB_APP } from "./config";
import { QR_IMAGE_OPTIONS } from "./qrconnect";
import { callCgi, callControl, createOaQr, fetchAppToken, useEmulatorServer } from "./test-helpers";

const PHONE_URL = "http://192.168.1.23:3999";
const CGI_JSON = "application/json; encoding=utf-8";
const RID = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

const server = useEmulatorServer({ phoneUrl: PHONE_URL });

type TokenBody = { access_token: string; expires_in: number; errcode?: number; errmsg?: string };
type ErrorBody = { errcode?: number; errmsg?: string };

const CREDENTIALS = { grant_type: "client_credential", appid: OA_APP.appid, secret: OA_APP.secret };

function getToken(query: Record<string, string> = CREDENTIALS) {
  return callCgi<TokenBody>(server.url, "token", { query });
}

function getStableToken(json: unknown) {
  return callCgi<TokenBody>(server.url, "stable_token", { json });
}

function createQr(token: string, json: unknown) {
  return callCgi<ErrorBody & { ticket: string; url: string; expire_seconds?: number }>(server.url, "qrcode/create", {
    query: { access_token: token },
    json,
  });
}

function userInfo(token: string, openid: string) {
  return callCgi<Record<string, unknown>>(server.url, "user/info", { query: { access_token: token, openid, lang: "zh_CN" } });
}

/** A cheap authenticated call: 40003 for a website openid means the token itself was accepted. */
async function tokenErrcode(token: string): Promise<number | undefined> {
  const response = await userInfo(token, openidFor(WEB_APP.appid, "lin"));
  return response.body.errcode as number | undefined;
}

function advance(seconds: number) {
  return callControl(server.url, "clock", { advanceSeconds: seconds });
}

describe("/cgi-bin/token", () => {
  it("answers JSON labelled application/json; encoding=utf-8 with a 7200 s token", async () => {
    const response = await getToken();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(CGI_JSON);
    expect(response.body).toEqual({ access_token: expect.stringMatching(/^\d+_[A-Za-z0-9_-]{100,}$/), expires_in: 7200 });
  });

  it("mints a new token on every call; the previous one works 5 more minutes, then 40001", async () => {
    const first = (await getToken()).body.access_token;
    const second = (await getToken()).body.access_token;
    expect(second).not.toBe(first);
    expect(await tokenErrcode(first)).toBe(40003);
    await advance(299);
    expect(await tokenErrcode(first)).toBe(40003);
    await advance(2);
    expect(await tokenErrcode(first)).toBe(40001);
    expect(await tokenErrcode(second)).toBe(40003);
  });

  it("expires an untouched token after 7200 s with 42001", async () => {
    const token = (await getToken()).body.access_token;
    await advance(7201);
    expect(await tokenErrcode(token)).toBe(42001);
  });

  it("checks appid, secret and grant_type with /cgi-bin errcodes", async () => {
    const cases: [Record<string, string>, number][] = [
      [{ grant_type: "client_credential", secret: OA_APP.secret }, 41002],
      [{ ...CREDENTIALS, appid: "wx0000000000000000" }, 40013],
      [{ ...CREDENTIALS, appid: WEB_APP.appid, secret: WEB_APP.secret }, 40013],
      [{ grant_type: "client_credential", appid: OA_APP.appid }, 41004],
      [{ ...CREDENTIALS, secret: "wrong" }, 40125],
      [{ ...CREDENTIALS, grant_type: "authorization_code" }, 40002],
    ];
    for (const [query, errcode] of cases) {
      const response = await getToken(query);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(CGI_JSON);
      expect(response.body.errcode, JSON.stringify(query)).toBe(errcode);
      expect(response.body.errmsg).toMatch(RID);
    }
  });
});

describe("/cgi-bin/stable_token", () => {
  const body = { grant_type: "client_credential", appid: OA_APP.appid, secret: OA_APP.secret };

  it("returns the same token while more than 5 minutes remain, then rotates with the old one still valid", async () => {
    const first = await getStableToken(body);
    expect(first.headers.get("content-type")).toBe(CGI_JSON);
    expect(first.body.expires_in).toBe(7200);
    await advance(1000);
    const again = await getStableToken({ ...body, force_refresh: false });
    expect(again.body.access_token).toBe(first.body.access_token);
    expect(again.body.expires_in).toBeGreaterThanOrEqual(6199);
    expect(again.body.expires_in).toBeLessThanOrEqual(6200);

    await advance(7200 - 1000 - 300);
    const rotated = await getStableToken(body);
    expect(rotated.body.access_token).not.toBe(first.body.access_token);
    expect(rotated.body.expires_in).toBe(7200);
    expect(await tokenErrcode(first.body.access_token)).toBe(40003);
    await advance(300);
    expect(await tokenErrcode(first.body.access_token)).toBe(42001);
    expect(await tokenErrcode(rotated.body.access_token)).toBe(40003);
  });

  it("never answers expires_in below 300", async () => {
    await getStableToken(body);
    for (const step of [3000, 3000, 800, 250, 100]) {
      await advance(step);
      expect((await getStableToken(body)).body.expires_in).toBeGreaterThanOrEqual(300);
    }
  });

  it("force_refresh kills the current token at once; within 30 s it refreshes nothing; 20 a day, then 45009", async () => {
    // Start just after a Beijing midnight so the 21 refreshes below share one quota day.
    const now = Date.parse((await callControl<{ now: string }>(server.url, "clock")).body.now);
    const dayMs = 86_400_000;
    const beijing = 8 * 3600 * 1000;
    await advance(Math.ceil((dayMs - ((now + beijing) % dayMs)) / 1000) + 60);

    const first = (await getStableToken(body)).body.access_token;
    const forced = (await getStableToken({ ...body, force_refresh: true })).body.access_token;
    expect(forced).not.toBe(first);
    expect(await tokenErrcode(first)).toBe(40001);
    expect((await getStableToken({ ...body, force_refresh: true })).body.access_token).toBe(forced);

    for (let i = 2; i <= 20; i++) {
      await advance(31);
      expect((await getStableToken({ ...body, force_refresh: true })).body.errcode).toBeUndefined();
    }
    await advance(31);
    const limited = await getStableToken({ ...body, force_refresh: true });
    expect(limited.body.errcode).toBe(45009);
    expect((await getStableToken(body)).body.access_token).toEqual(expect.any(String));
  });

  it("takes POST JSON only and checks credentials, 40125 for a wrong secret", async () => {
    const form = await callCgi(server.url, "stable_token", { body: new URLSearchParams(body).toString() });
    expect(form.body.errcode).toBe(47001);
    const get = await callCgi(server.url, "stable_token", { query: body });
    expect(get.body.errcode).toBe(43002);
    const cases: [Record<string, unknown>, number][] = [
      [{ ...body, appid: undefined }, 41002],
      [{ ...body, appid: "wx0000000000000000" }, 40013],
      [{ ...body, secret: "" }, 41004],
      [{ ...body, secret: "wrong" }, 40125],
      [{ ...body, grant_type: "password" }, 40002],
    ];
    for (const [json, errcode] of cases) {
      expect((await getStableToken(json)).body.errcode, JSON.stringify(json)).toBe(errcode);
    }
  });

  it("is isolated from /cgi-bin/token: both families stay valid side by side", async () => {
    const stable = (await getStableToken(body)).body.access_token;
    const plain = (await getToken()).body.access_token;
    expect(plain).not.toBe(stable);
    await getToken();
    await advance(301);
    expect(await tokenErrcode(stable)).toBe(40003);
    expect(await tokenErrcode(plain)).toBe(40001);

    const fresh = (await getToken()).body.access_token;
    await getStableToken({ ...body, force_refresh: true });
    expect(await tokenErrcode(fresh)).toBe(40003);
  });
});

describe("stats", () => {
  it("counts calls per endpoint, faulted ones included, until reset", async () => {
    const token = await fetchAppToken(server.url);
    await getStableToken({ grant_type: "client_credential", appid: OA_APP.appid, secret: OA_APP.secret });
    await createOaQr(server.url, undefined, token);
    await createOaQr(server.url, undefined, token);
    await userInfo(token, openidFor(OA_APP.appid, "lin"));
    await callControl(server.url, "faults", { endpoint: "cgi-bin/token", errcode: -1 });
    await getToken();

    const stats = await callControl(server.url, "stats");
    expect(stats.body).toEqual({
      "cgi-bin/token": 2,
      "cgi-bin/stable_token": 1,
      "cgi-bin/qrcode/create": 2,
      "cgi-bin/user/info": 1,
      "cgi-bin/openapi/quota/get": 0,
      "cgi-bin/openapi/rid/get": 0,
      "wxa/getwxacodeunlimit": 0,
      "sns/jscode2session": 0,
      "wxa/business/getuserphonenumber": 0,
      "wxa/generate_urllink": 0,
      pushes: { sent: 0, failed: 0, retries: 0 },
    });
    await callControl(server.url, "reset", {});
    expect((await callControl(server.url, "stats")).body).toMatchObject({ "cgi-bin/token": 0, "cgi-bin/qrcode/create": 0 });
  });
});

describe("/cgi-bin/qrcode/create", () => {
  it("creates a temporary string-scene code: opaque base64 ticket, weixin.qq.com url", async () => {
    const token = await fetchAppToken(server.url);
    const response = await createQr(token, { expire_seconds: 600, action_name: "QR_STR_SCENE", action_info: { scene: { scene_str: "login_5f1c9a2e" } } });
    expect(response.headers.get("content-type")).toBe(CGI_JSON);
    expect(response.body).toEqual({
      ticket: expect.any(String),
      expire_seconds: 600,
      url: expect.stringMatching(/^http:\/\/weixin\.qq\.com\/q\/[A-Za-z0-9]+$/),
    });
    expect(response.body.ticket).toMatch(/^[A-Za-z0-9+/]+==$/);
    expect(response.body.ticket).toMatch(/\+/);
    expect(response.body.ticket).toMatch(/\//);

    const listed = await callControl<Record<string, unknown>[]>(server.url, "oa/qrcodes");
    expect(listed.body[0]).toMatchObject({
      ticket: response.body.ticket,
      url: response.body.url,
      scanUrl: `${PHONE_URL}/oa/scan?ticket=${encodeURIComponent(response.body.ticket)}`,
      actionName: "QR_STR_SCENE",
      sceneStr: "login_5f1c9a2e",
      expireSeconds: 600,
      expireSecondsOmitted: false,
      expired: false,
    });
  });

  it("defaults an omitted expire_seconds to 30 s (and says so), omits it for permanent codes", async () => {
    const token = await fetchAppToken(server.url);
    const temp = await createQr(token, { action_name: "QR_SCENE", action_info: { scene: { scene_id: 123 } } });
    expect(temp.body.expire_seconds).toBe(30);
    const permanent = await createQr(token, { action_name: "QR_LIMIT_STR_SCENE", action_info: { scene: { scene_str: "welcome" } } });
    expect(permanent.body).toEqual({ ticket: expect.any(String), url: expect.any(String) });
    const limitId = await createQr(token, { action_name: "QR_LIMIT_SCENE", action_info: { scene: { scene_id: 100000 } } });
    expect(limitId.body.ticket).toEqual(expect.any(String));

    const listed = await callControl<{ ticket: string; expireSecondsOmitted: boolean; expiresAt?: string }[]>(server.url, "oa/qrcodes");
    expect(listed.body.find((qr) => qr.ticket === temp.body.ticket)?.expireSecondsOmitted).toBe(true);
    expect(listed.body.find((qr) => qr.ticket === permanent.body.ticket)).not.toHaveProperty("expiresAt");
  });

  it("accepts a missing scene wrapper as scene 0, as WeChat does", async () => {
    const token = await fetchAppToken(server.url);
    const response = await createQr(token, { expire_seconds: 60, action_name: "QR_STR_SCENE", action_info: { scene_str: "oops" } });
    expect(response.body.ticket).toEqual(expect.any(String));
    const listed = await callControl<{ sceneId?: number; sceneOmitted: boolean }[]>(server.url, "oa/qrcodes");
    expect(listed.body[0]).toMatchObject({ sceneId: 0, sceneOmitted: true });
  });

  it("validates the token: 41001, 40014, 40001, 42001", async () => {
    const token = await fetchAppToken(server.url);
    const json = { expire_seconds: 60, action_name: "QR_SCENE", action_info: { scene: { scene_id: 1 } } };
    const missing = await callCgi(server.url, "qrcode/create", { json });
    expect(missing.body.errcode).toBe(41001);
    expect((await createQr("not a token!", json)).body.errcode).toBe(40014);
    expect((await createQr("92_unknownToken", json)).body.errcode).toBe(40001);
    await advance(7201);
    expect((await createQr(token, json)).body.errcode).toBe(42001);
  });

  it("validates the body: 43002, 47001, 40052, 40053, 40097", async () => {
    const token = await fetchAppToken(server.url);
    const get = await callCgi(server.url, "qrcode/create", { query: { access_token: token } });
    expect(get.body.errcode).toBe(43002);
    const notJson = await callCgi(server.url, "qrcode/create", { query: { access_token: token }, body: "action_name=QR_SCENE" });
    expect(notJson.body.errcode).toBe(47001);

    const scene = (fields: Record<string, unknown>) => ({ action_info: { scene: fields } });
    const cases: [Record<string, unknown>, number][] = [
      [{ action_name: "QR_TEMP", ...scene({ scene_id: 1 }) }, 40052],
      [{ ...scene({ scene_id: 1 }) }, 40052],
      [{ action_name: "QR_SCENE" }, 40053],
      [{ action_name: "QR_SCENE", action_info: { scene: "x" } }, 40053],
      [{ action_name: "QR_SCENE", ...scene({ scene_str: "abc" }) }, 40053],
      [{ action_name: "QR_STR_SCENE", ...scene({ scene_id: 5 }) }, 40053],
      [{ action_name: "QR_SCENE", ...scene({ scene_id: 0 }) }, 40097],
      [{ action_name: "QR_SCENE", ...scene({ scene_id: 1.5 }) }, 40097],
      [{ action_name: "QR_SCENE", ...scene({ scene_id: "12" }) }, 40097],
      [{ action_name: "QR_LIMIT_SCENE", ...scene({ scene_id: 100001 }) }, 40097],
      [{ action_name: "QR_STR_SCENE", ...scene({ scene_str: "" }) }, 40097],
      [{ action_name: "QR_LIMIT_STR_SCENE", ...scene({ scene_str: "x".repeat(65) }) }, 40097],
      [{ action_name: "QR_STR_SCENE", expire_seconds: 2_592_001, ...scene({ scene_str: "a" }) }, 40097],
      [{ action_name: "QR_STR_SCENE", expire_seconds: 0, ...scene({ scene_str: "a" }) }, 40097],
      [{ action_name: "QR_STR_SCENE", expire_seconds: "600", ...scene({ scene_str: "a" }) }, 40097],
    ];
    for (const [json, errcode] of cases) {
      const response = await createQr(token, json);
      expect(response.body.errcode, JSON.stringify(json)).toBe(errcode);
      expect(response.body.errmsg).toMatch(RID);
    }
    const max = await createQr(token, { action_name: "QR_STR_SCENE", expire_seconds: 2_592_000, ...scene({ scene_str: "x".repeat(64) }) });
    expect(max.body.expire_seconds).toBe(2_592_000);
  });

  it("plays queued faults on /cgi-bin endpoints with their JSON content type", async () => {
    const token = await fetchAppToken(server.url);
    await callControl(server.url, "faults", { endpoint: "cgi-bin/qrcode/create", errcode: 45009 });
    const faulted = await createQr(token, { action_name: "QR_SCENE", action_info: { scene: { scene_id: 1 } } });
    expect(faulted.headers.get("content-type")).toBe(CGI_JSON);
    expect(faulted.body.errcode).toBe(45009);
    await callControl(server.url, "faults", { endpoint: "cgi-bin/user/info", status: 502 });
    const broken = await fetch(`${server.url}/cgi-bin/user/info?access_token=${token}&openid=x`);
    expect(broken.status).toBe(502);
    await callControl(server.url, "faults", { endpoint: "/cgi-bin/stable_token", malformed: true });
    const malformed = await fetch(`${server.url}/cgi-bin/stable_token`, { method: "POST", body: "{}" });
    const text = await malformed.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(malformed.headers.get("content-type")).toBe(CGI_JSON);
  });
});

describe("/cgi-bin/showqrcode", () => {
  it("serves a PNG encoding the phone scan page for the URL-encoded ticket", async () => {
    const { ticket } = await createOaQr(server.url);
    const response = await fetch(`${server.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const expected = await QRCode.toBuffer(`${PHONE_URL}/oa/scan?ticket=${encodeURIComponent(ticket)}`, QR_IMAGE_OPTIONS);
    expect(Buffer.from(await response.arrayBuffer()).equals(expected)).toBe(true);
  });

  it("answers 404 for an unencoded, unknown or expired ticket", async () => {
    const { ticket } = await createOaQr(server.url);
    expect((await fetch(`${server.url}/cgi-bin/showqrcode?ticket=${ticket}`)).status).toBe(404);
    expect((await fetch(`${server.url}/cgi-bin/showqrcode?ticket=gQAAAA%3D%3D`)).status).toBe(404);
    expect((await fetch(`${server.url}/cgi-bin/showqrcode`)).status).toBe(404);
    await advance(601);
    expect((await fetch(`${server.url}/cgi-bin/showqrcode?ticket=${encodeURIComponent(ticket)}`)).status).toBe(404);
  });
});

describe("/cgi-bin/user/info", () => {
  it("answers subscribe 0 for a non-follower, with unionid only for users who have one", async () => {
    const token = await fetchAppToken(server.url);
    const lin = await userInfo(token, openidFor(OA_APP.appid, "lin"));
    expect(lin.headers.get("content-type")).toBe(CGI_JSON);
    expect(lin.body).toEqual({ subscribe: 0, openid: openidFor(OA_APP.appid, "lin"), unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin") });
    const wang = await userInfo(token, openidFor(OA_APP.appid, "wang"));
    expect(wang.body).toEqual({ subscribe: 0, openid: openidFor(OA_APP.appid, "wang") });
  });

  it("gives no unionid while the Official Account is not bound to the Open Platform account", async () => {
    await callControl(server.url, "settings", { unboundApps: [OA_APP.appid] });
    const token = await fetchAppToken(server.url);
    expect((await userInfo(token, openidFor(OA_APP.appid, "lin"))).body).toEqual({ subscribe: 0, openid: openidFor(OA_APP.appid, "lin") });
  });

  it("answers the follower shape without nickname or avatar", async () => {
    const token = await fetchAppToken(server.url);
    const followed = await callControl<{ user: string; subscribeScene: string }[]>(server.url, "oa/followers", { user: "zhang", following: true });
    expect(followed.body).toEqual([expect.objectContaining({ user: "zhang", openid: openidFor(OA_APP.appid, "zhang"), subscribeScene: "ADD_SCENE_OTHERS" })]);
    await callControl(server.url, "oa/followers", { user: "chen", following: true });

    const zhang = await userInfo(token, openidFor(OA_APP.appid, "zhang"));
    expect(zhang.body).toEqual({
      subscribe: 1,
      openid: openidFor(OA_APP.appid, "zhang"),
      language: "zh_CN",
      subscribe_time: expect.any(Number),
      unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "zhang"),
      remark: "",
      groupid: 0,
      tagid_list: [],
      subscribe_scene: "ADD_SCENE_OTHERS",
      qr_scene: 0,
      qr_scene_str: "",
    });
    expect(Math.abs((zhang.body.subscribe_time as number) - Date.now() / 1000)).toBeLessThan(5);
    const chen = await userInfo(token, openidFor(OA_APP.appid, "chen"));
    expect(chen.body).toMatchObject({ subscribe: 1 });
    expect(chen.body).not.toHaveProperty("unionid");

    await callControl(server.url, "oa/followers", { user: "zhang", following: false });
    expect((await userInfo(token, openidFor(OA_APP.appid, "zhang"))).body.subscribe).toBe(0);
    expect((await callControl<unknown[]>(server.url, "oa/followers")).body).toHaveLength(1);
  });

  it("answers 40003 for another app's openid, 41009 without one, token errors as qrcode/create", async () => {
    const token = await fetchAppToken(server.url);
    expect((await userInfo(token, openidFor(WEB_APP.appid, "lin"))).body.errcode).toBe(40003);
    expect((await userInfo(token, "oNotAUser")).body.errcode).toBe(40003);
    expect((await callCgi(server.url, "user/info", { query: { access_token: token } })).body.errcode).toBe(41009);
    expect((await callCgi(server.url, "user/info", { query: { openid: openidFor(OA_APP.appid, "lin") } })).body.errcode).toBe(41001);
    expect((await userInfo("92_nope", openidFor(OA_APP.appid, "lin"))).body.errcode).toBe(40001);
  });
});

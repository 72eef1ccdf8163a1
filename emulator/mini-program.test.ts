import { describe, expect, it } from "vitest";
import { DEMO_OPEN_ACCOUNT_ID, MP_APP, MP_LOGIN_PAGE, MP_PERSONAL_APP, MP_SOLO_APP, MP_UNRELEASED_APP, OA_APP, openidFor, unionidFor } from "./config";
import type { WechatApp } from "./config";
import { callCgi, callControl, fetchAppToken, useEmulatorServer } from "./test-helpers";

const PHONE_URL = "http://192.168.1.23:3999";
const WXA_JSON = "application/json; encoding=utf-8";
const WXA_RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const SNS_RID = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

const server = useEmulatorServer({ phoneUrl: PHONE_URL });

type WxaBody = { errcode?: number; errmsg?: string; [key: string]: unknown };

async function mpToken(app: WechatApp = MP_APP): Promise<string> {
  const response = await callCgi<{ access_token: string }>(server.url, "stable_token", {
    json: { grant_type: "client_credential", appid: app.appid, secret: app.secret },
  });
  return response.body.access_token;
}

async function postWxa(path: string, token: string, body: unknown): Promise<{ status: number; contentType: string | null; bytes: Buffer }> {
  const response = await fetch(`${server.url}/wxa/${path}?access_token=${encodeURIComponent(token)}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get("content-type"), bytes: Buffer.from(await response.arrayBuffer()) };
}

async function postWxaJson(path: string, token: string, body: unknown): Promise<WxaBody> {
  const response = await postWxa(path, token, body);
  expect(response.status).toBe(200);
  expect(response.contentType).toBe(WXA_JSON);
  return JSON.parse(response.bytes.toString("utf8")) as WxaBody;
}

async function loginCode(app: WechatApp = MP_APP, user = "lin"): Promise<string> {
  const response = await callControl<{ code: string }>(server.url, "mp/login", { appid: app.appid, user });
  expect(response.status).toBe(200);
  return response.body.code;
}

async function phoneCode(app: WechatApp = MP_APP, user = "lin"): Promise<string> {
  const response = await callControl<{ code: string }>(server.url, "mp/phone-code", { appid: app.appid, user });
  return response.body.code;
}

async function code2Session(params: Record<string, string>): Promise<{ contentType: string | null; body: WxaBody }> {
  const response = await fetch(`${server.url}/sns/jscode2session?${new URLSearchParams(params)}`);
  return { contentType: response.headers.get("content-type"), body: JSON.parse(await response.text()) as WxaBody };
}

function sessionParams(code: string, app: WechatApp = MP_APP): Record<string, string> {
  return { appid: app.appid, secret: app.secret, js_code: code, grant_type: "authorization_code" };
}

function advance(seconds: number) {
  return callControl(server.url, "clock", { advanceSeconds: seconds });
}

describe("mini-program access tokens", () => {
  it("hands out tokens to mini programs on both token endpoints", async () => {
    const plain = await callCgi<{ access_token: string; expires_in: number }>(server.url, "token", {
      query: { grant_type: "client_credential", appid: MP_APP.appid, secret: MP_APP.secret },
    });
    expect(plain.body.expires_in).toBe(7200);
    expect(await mpToken()).toMatch(/^\d+_/);
  });

  it("isolates token types: a mini program's token is 48001 on OA APIs, an OA token 48001 on /wxa/*", async () => {
    const token = await mpToken();
    const info = await callCgi<WxaBody>(server.url, "user/info", { query: { access_token: token, openid: openidFor(OA_APP.appid, "lin") } });
    expect(info.body.errcode).toBe(48001);
    const qr = await callCgi<WxaBody>(server.url, "qrcode/create", {
      query: { access_token: token },
      json: { action_name: "QR_LIMIT_SCENE", action_info: { scene: { scene_id: 1 } } },
    });
    expect(qr.body.errcode).toBe(48001);
    const oaToken = await fetchAppToken(server.url);
    const code = await postWxaJson("getwxacodeunlimit", oaToken, { scene: "t=1" });
    expect(code).toMatchObject({ errcode: 48001, errmsg: expect.stringMatching(/^api unauthorized rid: /) });
  });
});

describe("POST /wxa/getwxacodeunlimit", () => {
  it("answers PNG bytes labelled image/jpeg and records the code, whose image encodes the phone URL", async () => {
    const token = await mpToken();
    const response = await postWxa("getwxacodeunlimit", token, {
      scene: "t=5f1c9a2e",
      page: MP_LOGIN_PAGE,
      check_path: true,
      env_version: "release",
      width: 430,
    });
    expect(response.status).toBe(200);
    expect(response.contentType).toBe("image/jpeg");
    expect([...response.bytes.subarray(0, 4)]).toEqual(PNG_MAGIC);

    const codes = await callControl<{ appid: string; scene: string; page: string; envVersion: string; url: string }[]>(server.url, "mp/codes");
    expect(codes.body).toEqual([
      expect.objectContaining({
        appid: MP_APP.appid,
        scene: "t=5f1c9a2e",
        page: MP_LOGIN_PAGE,
        envVersion: "release",
        url: `${PHONE_URL}/mp/${MP_APP.appid}/${MP_LOGIN_PAGE}?scene=t%3D5f1c9a2e&env_version=release`,
      }),
    ]);
    const list = await (await fetch(`${server.url}/phone`)).text();
    expect(list).toContain(`/mp/${MP_APP.appid}/${MP_LOGIN_PAGE}?scene=t%3D5f1c9a2e`);
  });

  it("lists codes newest first and defaults the page to the home page", async () => {
    const token = await mpToken();
    await postWxa("getwxacodeunlimit", token, { scene: "first" });
    await postWxa("getwxacodeunlimit", token, { scene: "second" });
    const codes = await callControl<{ scene: string; page: string }[]>(server.url, "mp/codes");
    expect(codes.body.map((code) => code.scene)).toEqual(["second", "first"]);
    expect(codes.body[0]?.page).toBe(MP_LOGIN_PAGE);
  });

  it.each([
    ["an empty scene", { scene: "" }, 40169],
    ["a missing scene", { page: MP_LOGIN_PAGE }, 40169],
    ["a 33-char scene", { scene: "a".repeat(33) }, 40169],
    ["a body that is not JSON", "scene=abc", 40169],
    ["a % in the scene", { scene: "a%20b" }, 40129],
    ["Chinese in the scene", { scene: "登录" }, 40129],
    ["a leading slash", { scene: "t=1", page: `/${MP_LOGIN_PAGE}` }, 41030],
    ["a page missing from the release", { scene: "t=1", page: "pages/other/other" }, 41030],
    ["an empty env_version", { scene: "t=1", env_version: "" }, 40097],
    ["an integer is_hyaline", { scene: "t=1", is_hyaline: 1 }, 47001],
    ["access_token in the body", { scene: "t=1", access_token: "x" }, 47001],
    ["a numeric scene", { scene: 12 }, 47001],
  ])("refuses %s", async (_label, body, errcode) => {
    const answer = await postWxaJson("getwxacodeunlimit", await mpToken(), body);
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(WXA_RID);
  });

  it("accepts a 32-char scene of the allowed charset", async () => {
    const response = await postWxa("getwxacodeunlimit", await mpToken(), { scene: "!#$&'()*+,/:;=?@-._~abcdXYZ01234" });
    expect(response.contentType).toBe("image/jpeg");
  });

  it("refuses an unreleased mini program with check_path, and allows trial/develop codes without it", async () => {
    const token = await mpToken(MP_UNRELEASED_APP);
    expect((await postWxaJson("getwxacodeunlimit", token, { scene: "t=1", page: MP_LOGIN_PAGE })).errcode).toBe(41030);
    for (const env of ["trial", "develop"]) {
      const response = await postWxa("getwxacodeunlimit", token, { scene: "t=1", page: MP_LOGIN_PAGE, check_path: false, env_version: env });
      expect(response.contentType).toBe("image/jpeg");
    }
  });

  it("honours width within 280–1280 (a larger code for a larger width)", async () => {
    const token = await mpToken();
    const small = await postWxa("getwxacodeunlimit", token, { scene: "t=1", width: 100 });
    const large = await postWxa("getwxacodeunlimit", token, { scene: "t=1", width: 1280 });
    // The PNG IHDR width sits at bytes 16–19.
    expect(small.bytes.readUInt32BE(16)).toBe(280);
    expect(large.bytes.readUInt32BE(16)).toBe(1280);
  });

  it("answers 45009 beyond mpCodePerMinute calls, and works again the next minute", async () => {
    await callControl(server.url, "settings", { mpCodePerMinute: 1 });
    const token = await mpToken();
    expect((await postWxa("getwxacodeunlimit", token, { scene: "t=1" })).contentType).toBe("image/jpeg");
    expect((await postWxaJson("getwxacodeunlimit", token, { scene: "t=2" })).errcode).toBe(45009);
    await advance(60);
    expect((await postWxa("getwxacodeunlimit", token, { scene: "t=3" })).contentType).toBe("image/jpeg");
  });

  it("refuses missing or unknown tokens", async () => {
    expect((await postWxaJson("getwxacodeunlimit", "", { scene: "t=1" })).errcode).toBe(41001);
    expect((await postWxaJson("getwxacodeunlimit", "12_unknown", { scene: "t=1" })).errcode).toBe(40001);
  });

  it("plays faults as JSON labelled like its errors, and counts calls", async () => {
    await callControl(server.url, "faults", { endpoint: "wxa/getwxacodeunlimit", errcode: -1 });
    expect((await postWxaJson("getwxacodeunlimit", await mpToken(), { scene: "t=1" })).errcode).toBe(-1);
    expect((await callControl(server.url, "stats")).body).toMatchObject({ "wxa/getwxacodeunlimit": 1 });
  });
});

describe("GET /sns/jscode2session", () => {
  it("exchanges a wx.login code for session_key, openid and unionid (bound mini program), labelled text/plain", async () => {
    const code = await loginCode();
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);
    const response = await code2Session(sessionParams(code));
    expect(response.contentType).toBe("text/plain");
    expect(response.body).toEqual({
      session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
      openid: openidFor(MP_APP.appid, "lin"),
      unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"),
    });
    expect(Buffer.from(response.body.session_key as string, "base64")).toHaveLength(16);
  });

  it("gives no unionid from an unbound mini program, to users without one, or with unboundApps", async () => {
    expect((await code2Session(sessionParams(await loginCode(MP_SOLO_APP), MP_SOLO_APP))).body).not.toHaveProperty("unionid");
    expect((await code2Session(sessionParams(await loginCode(MP_APP, "wang")))).body).not.toHaveProperty("unionid");
    await callControl(server.url, "settings", { unboundApps: [MP_APP.appid] });
    const answer = (await code2Session(sessionParams(await loginCode()))).body;
    expect(answer.openid).toBe(openidFor(MP_APP.appid, "lin"));
    expect(answer).not.toHaveProperty("unionid");
  });

  it("answers 40163 on reuse and 40029 after 300 s, for unknown and for other apps' codes", async () => {
    const code = await loginCode();
    await code2Session(sessionParams(code));
    const reused = await code2Session(sessionParams(code));
    expect(reused.body).toMatchObject({ errcode: 40163, errmsg: expect.stringMatching(/^code been used, rid: /) });
    expect(reused.contentType).toBe("text/plain");

    const stale = await loginCode();
    await advance(301);
    expect((await code2Session(sessionParams(stale))).body.errcode).toBe(40029);
    expect((await code2Session(sessionParams("0".repeat(32)))).body).toMatchObject({ errcode: 40029, errmsg: expect.stringMatching(SNS_RID) });
    expect((await code2Session(sessionParams(await loginCode(MP_SOLO_APP)))).body.errcode).toBe(40029);
    expect((await code2Session(sessionParams(await phoneCode()))).body.errcode).toBe(40029);
  });

  it("accepts a code just under 300 s old", async () => {
    const code = await loginCode();
    await advance(299);
    expect((await code2Session(sessionParams(code))).body).toHaveProperty("openid");
  });

  it("answers 40226 for a blocked user", async () => {
    await callControl(server.url, "settings", { blockedUsers: ["zhang"] });
    expect((await code2Session(sessionParams(await loginCode(MP_APP, "zhang")))).body).toMatchObject({
      errcode: 40226,
      errmsg: expect.stringMatching(/^code blocked, rid: /),
    });
  });

  it("answers 45011 after 100 calls per user per minute", async () => {
    const code = await loginCode();
    for (let i = 0; i < 100; i++) await code2Session(sessionParams(code));
    expect((await code2Session(sessionParams(code))).body.errcode).toBe(45011);
  });

  it("checks appid, secret, grant_type and js_code", async () => {
    const code = await loginCode();
    expect((await code2Session({ ...sessionParams(code), appid: "" })).body.errcode).toBe(41002);
    expect((await code2Session({ ...sessionParams(code), appid: OA_APP.appid })).body.errcode).toBe(40013);
    expect((await code2Session({ ...sessionParams(code), secret: "wrong" })).body.errcode).toBe(40125);
    expect((await code2Session({ ...sessionParams(code), grant_type: "client_credential" })).body.errcode).toBe(40002);
    expect((await code2Session({ ...sessionParams(code), js_code: "" })).body.errcode).toBe(41008);
  });

  it("plays faults as text/plain", async () => {
    await callControl(server.url, "faults", { endpoint: "sns/jscode2session", errcode: -1 });
    const response = await code2Session(sessionParams(await loginCode()));
    expect(response.contentType).toBe("text/plain");
    expect(response.body.errcode).toBe(-1);
    expect((await callControl(server.url, "stats")).body).toMatchObject({ "sns/jscode2session": 1 });
  });
});

describe("POST /wxa/business/getuserphonenumber", () => {
  it("answers the phone_info of the code's user, once", async () => {
    const code = await phoneCode();
    expect(code).toMatch(/^[0-9a-f]{64}$/);
    const token = await mpToken();
    const answer = await postWxaJson("business/getuserphonenumber", token, { code, openid: openidFor(MP_APP.appid, "lin") });
    expect(answer).toEqual({
      errcode: 0,
      errmsg: "ok",
      phone_info: {
        phoneNumber: "13800138000",
        purePhoneNumber: "13800138000",
        countryCode: "86",
        watermark: { timestamp: expect.any(Number), appid: MP_APP.appid },
      },
    });
    const again = await postWxaJson("business/getuserphonenumber", token, { code });
    expect(again).toMatchObject({ errcode: 40029, errmsg: expect.stringMatching(/^invalid code hint: \[[\w-]+\] rid: /) });
  });

  it("puts the country code into phoneNumber for a Hong Kong number", async () => {
    const answer = await postWxaJson("business/getuserphonenumber", await mpToken(), { code: await phoneCode(MP_APP, "chen") });
    expect(answer.phone_info).toMatchObject({ phoneNumber: "+85251234567", purePhoneNumber: "51234567", countryCode: "852" });
  });

  it("answers 40029 for expired, foreign, wx.login and mismatched-openid codes", async () => {
    const token = await mpToken();
    const stale = await phoneCode();
    await advance(301);
    expect((await postWxaJson("business/getuserphonenumber", token, { code: stale })).errcode).toBe(40029);
    expect((await postWxaJson("business/getuserphonenumber", token, { code: await loginCode() })).errcode).toBe(40029);
    expect((await postWxaJson("business/getuserphonenumber", token, { code: await phoneCode(MP_SOLO_APP) })).errcode).toBe(40029);
    const code = await phoneCode();
    expect((await postWxaJson("business/getuserphonenumber", token, { code, openid: openidFor(MP_APP.appid, "zhang") })).errcode).toBe(40029);
  });

  it("refuses the button where the mini program is not eligible or the user has no phone", async () => {
    expect((await callControl(server.url, "mp/phone-code", { appid: MP_PERSONAL_APP.appid, user: "lin" })).body).toEqual({
      errMsg: "getPhoneNumber:fail no permission",
    });
    expect((await callControl(server.url, "mp/phone-code", { appid: MP_APP.appid, user: "li" })).body).toEqual({
      errMsg: "getPhoneNumber:fail user has no phone number",
    });
    expect((await callControl(server.url, "mp/phone-code", { appid: MP_APP.appid, user: "nobody" })).status).toBe(404);
    expect((await callControl(server.url, "mp/login", { appid: OA_APP.appid, user: "lin" })).status).toBe(404);
  });

  it("answers 44002 for an empty body and 47001 for a wrong type", async () => {
    const token = await mpToken();
    expect((await postWxaJson("business/getuserphonenumber", token, "")).errcode).toBe(44002);
    expect((await postWxaJson("business/getuserphonenumber", token, { code: 12 })).errcode).toBe(47001);
  });
});

describe("POST /wxa/generate_urllink and GET /wxaurl/<ticket>", () => {
  it("creates a link that redirects to the mini-program page with launch scene 1194", async () => {
    const answer = await postWxaJson("generate_urllink", await mpToken(), {
      path: MP_LOGIN_PAGE,
      query: "t=abc",
      expire_type: 1,
      expire_interval: 1,
      env_version: "release",
    });
    expect(answer).toEqual({ errcode: 0, errmsg: "ok", url_link: expect.stringMatching(new RegExp(`^${server.url}/wxaurl/[A-Za-z0-9]+$`)) });
    const opened = await fetch(answer.url_link as string, { redirect: "manual" });
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toBe(`${PHONE_URL}/mp/${MP_APP.appid}/${MP_LOGIN_PAGE}?t=abc&launch_scene=1194`);

    await advance(86_401);
    const expired = await fetch(answer.url_link as string, { redirect: "manual" });
    expect(expired.status).toBe(404);
    expect(await expired.text()).toContain("链接已失效");
    expect((await fetch(`${server.url}/wxaurl/unknown`)).status).toBe(404);
  });

  it.each([
    ["a personal-subject mini program", MP_PERSONAL_APP, { path: MP_LOGIN_PAGE }, 40002],
    ["an unreleased mini program", MP_UNRELEASED_APP, { path: MP_LOGIN_PAGE, env_version: "trial" }, 85079],
    ["a leading slash", MP_APP, { path: `/${MP_LOGIN_PAGE}` }, 40165],
    ["a page missing from the release", MP_APP, { path: "pages/other/other" }, 40165],
    ["a query over 1024 chars", MP_APP, { query: "a".repeat(1025) }, 40212],
    ["a query with Chinese", MP_APP, { query: "t=登录" }, 40212],
    ["31 days", MP_APP, { expire_type: 1, expire_interval: 31 }, 85401],
    ["an expire_time beyond 30 days", MP_APP, { expire_type: 0, expire_time: Math.floor(Date.now() / 1000) + 31 * 86_400 }, 85401],
    ["a string expire_interval", MP_APP, { expire_type: 1, expire_interval: "30" }, 47001],
    ["camelCase keys", MP_APP, { expireType: 1 }, 47001],
    ["an unknown env_version", MP_APP, { env_version: "beta" }, 40097],
  ])("refuses %s", async (_label, app, body, errcode) => {
    const answer = await postWxaJson("generate_urllink", await mpToken(app), body);
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(WXA_RID);
  });

  it("answers 40002 with WeChat's captured text for a personal subject, and 44002 for an empty body", async () => {
    expect((await postWxaJson("generate_urllink", await mpToken(MP_PERSONAL_APP), {})).errmsg).toMatch(/^invalid grant_type rid: /);
    expect((await postWxaJson("generate_urllink", await mpToken(), "")).errcode).toBe(44002);
  });
});

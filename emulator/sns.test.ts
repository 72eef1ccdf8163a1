import { describe, expect, it } from "vitest";
import { DEMO_OPEN_ACCOUNT_ID, OA_APP, openidFor, unionidFor, WEB2_APP, WEB_APP } from "./config";
import { CALLBACK_URL, callControl, callSns, obtainCode, obtainTokens, useEmulatorServer } from "./test-helpers";
import type { TokenBody } from "./test-helpers";

const server = useEmulatorServer();

const RID = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

type ErrorBody = { errcode: number; errmsg: string };

function exchange(params: Record<string, string>) {
  return callSns<ErrorBody & TokenBody>(server.url, "oauth2/access_token", params);
}

function basicAuth(user: string, password: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
  return `Basic ${Buffer.from(`${encode(user)}:${encode(password)}`).toString("base64")}`;
}

describe("/sns/oauth2/access_token", () => {
  it("exchanges a code for tokens with WeChat's shapes, as text/plain JSON with HTTP 200", async () => {
    const code = await obtainCode(server.url, { user: "lin" });
    expect(code).toMatch(/^[A-Za-z0-9]{32}$/);

    const response = await fetch(
      `${server.url}/sns/oauth2/access_token?${new URLSearchParams({ appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" })}`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain");
    const body = JSON.parse(await response.text()) as TokenBody;

    expect(body).toEqual({
      access_token: expect.stringMatching(/^\d+_[A-Za-z0-9_-]{80,}$/),
      expires_in: 7200,
      refresh_token: expect.stringMatching(/^\d+_[A-Za-z0-9_-]{80,}$/),
      openid: openidFor(WEB_APP.appid, "lin"),
      scope: "snsapi_login",
      unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"),
    });
    expect(body.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
  });

  it("rejects a second exchange of the same code with 40163", async () => {
    const code = await obtainCode(server.url);
    const params = { appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" };
    expect((await exchange(params)).body.access_token).toBeTruthy();

    const second = await exchange(params);
    expect(second.status).toBe(200);
    expect(second.headers.get("content-type")).toBe("text/plain");
    expect(second.body.errcode).toBe(40163);
    expect(second.body.errmsg).toMatch(/^code been used, rid: /);
    expect(second.body.errmsg).toMatch(RID);
  });

  it("answers 40029 for a code older than codeTtlSeconds (clock advanced)", async () => {
    const code = await obtainCode(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 601 });
    const response = await exchange({ appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" });
    expect(response.body.errcode).toBe(40029);
    expect(response.body.errmsg).toMatch(/^invalid code, rid: /);
  });

  it("honours a shorter codeTtlSeconds setting", async () => {
    await callControl(server.url, "settings", { codeTtlSeconds: 30 });
    const code = await obtainCode(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 31 });
    const response = await exchange({ appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" });
    expect(response.body.errcode).toBe(40029);
  });

  it("accepts a code just inside its lifetime", async () => {
    const code = await obtainCode(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 590 });
    const response = await exchange({ appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" });
    expect(response.body.access_token).toBeTruthy();
  });

  it("checks parameters in WeChat's order with its errcodes", async () => {
    const code = await obtainCode(server.url);
    const full = { appid: WEB_APP.appid, secret: WEB_APP.secret, code, grant_type: "authorization_code" };
    const cases: [Record<string, string>, number, string][] = [
      [{ ...full, appid: "" }, 41002, "appid missing"],
      [{ ...full, appid: "wx0000000000000000" }, 40013, "invalid appid"],
      [{ ...full, secret: "" }, 41004, "appsecret missing"],
      [{ ...full, secret: "wrong" }, 40125, "invalid appsecret"],
      [{ ...full, grant_type: "client_credential" }, 40002, "invalid grant_type"],
      [{ ...full, code: "" }, 41008, "missing code"],
      [{ ...full, code: "A".repeat(32) }, 40029, "invalid code"],
      // A code issued for WEB used with WEB2's credentials.
      [{ ...full, appid: WEB2_APP.appid, secret: WEB2_APP.secret }, 40029, "invalid code"],
    ];
    for (const [params, errcode, errmsg] of cases) {
      const response = await exchange(params);
      expect(response.status).toBe(200);
      expect(response.body.errcode, JSON.stringify(params)).toBe(errcode);
      expect(response.body.errmsg.startsWith(`${errmsg}, rid: `)).toBe(true);
      expect(response.body.errmsg).toMatch(RID);
    }
    // None of the failures consumed the code.
    expect((await exchange(full)).body.openid).toBe(openidFor(WEB_APP.appid, "lin"));
  });

  it("accepts Auth.js's POST form with credentials only in HTTP Basic", async () => {
    const code = await obtainCode(server.url, { user: "zhang" });
    const response = await fetch(`${server.url}/sns/oauth2/access_token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
        authorization: basicAuth(WEB_APP.appid, WEB_APP.secret),
      },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: CALLBACK_URL }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain");
    const body = JSON.parse(await response.text()) as TokenBody;
    expect(body.openid).toBe(openidFor(WEB_APP.appid, "zhang"));
    expect(body.unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "zhang"));
  });

  it("accepts appid and secret as POST form fields", async () => {
    const code = await obtainCode(server.url);
    const response = await fetch(`${server.url}/sns/oauth2/access_token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ appid: WEB_APP.appid, secret: WEB_APP.secret, grant_type: "authorization_code", code }),
    });
    const body = JSON.parse(await response.text()) as TokenBody;
    expect(body.openid).toBe(openidFor(WEB_APP.appid, "lin"));
  });

  it("rejects a wrong secret in HTTP Basic with 40125", async () => {
    const code = await obtainCode(server.url);
    const response = await fetch(`${server.url}/sns/oauth2/access_token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(WEB_APP.appid, "nope") },
      body: new URLSearchParams({ grant_type: "authorization_code", code }),
    });
    expect((JSON.parse(await response.text()) as ErrorBody).errcode).toBe(40125);
  });

  it("leaves unionid out entirely for users without one", async () => {
    for (const user of ["wang", "chen"]) {
      const tokens = await obtainTokens(server.url, { user });
      expect(tokens.openid).toBe(openidFor(WEB_APP.appid, user));
      expect("unionid" in tokens).toBe(false);
    }
  });

  it("gives no unionid from an app not bound to the Open Platform account, and one again once it is bound", async () => {
    await callControl(server.url, "settings", { unboundApps: [WEB2_APP.appid] });
    const unbound = await obtainTokens(server.url, { user: "li", appid: WEB2_APP.appid, secret: WEB2_APP.secret });
    expect("unionid" in unbound).toBe(false);
    const profile = await callSns<Record<string, unknown>>(server.url, "userinfo", { access_token: unbound.access_token, openid: unbound.openid });
    expect(profile.body.openid).toBe(unbound.openid);
    expect("unionid" in profile.body).toBe(false);
    // Other apps of the account are unaffected.
    expect((await obtainTokens(server.url, { user: "li" })).unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "li"));

    await callControl(server.url, "settings", { unboundApps: [] });
    const bound = await obtainTokens(server.url, { user: "li", appid: WEB2_APP.appid, secret: WEB2_APP.secret });
    expect(bound.openid).toBe(unbound.openid);
    expect(bound.unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "li"));
  });

  it("refuses an unboundApps entry that is not an appid", async () => {
    const answer = await callControl(server.url, "settings", { unboundApps: ["not-an-appid"] });
    expect(answer.status).toBe(400);
  });

  it("gives one unionid across WEB and WEB2 but a different openid per app", async () => {
    const web = await obtainTokens(server.url, { user: "li" });
    const web2 = await obtainTokens(server.url, { user: "li", appid: WEB2_APP.appid, secret: WEB2_APP.secret });
    expect(web.unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "li"));
    expect(web2.unionid).toBe(web.unionid);
    expect(web2.openid).not.toBe(web.openid);
    expect(web2.openid).toBe(openidFor(WEB2_APP.appid, "li"));
  });
});

describe("/sns/oauth2/refresh_token", () => {
  function refresh(params: Record<string, string>) {
    return callSns<ErrorBody & TokenBody>(server.url, "oauth2/refresh_token", params);
  }

  it("extends a live access token and keeps its value", async () => {
    const tokens = await obtainTokens(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 7000 });
    const response = await refresh({ appid: WEB_APP.appid, grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.body).toEqual({
      access_token: tokens.access_token,
      expires_in: 7200,
      refresh_token: tokens.refresh_token,
      openid: tokens.openid,
      scope: "snsapi_login",
    });
    // 7000 s + 7000 s is past the original expiry but inside the extended one.
    await callControl(server.url, "clock", { advanceSeconds: 7000 });
    const auth = await callSns<ErrorBody>(server.url, "auth", { access_token: tokens.access_token, openid: tokens.openid });
    expect(auth.body).toEqual({ errcode: 0, errmsg: "ok" });
  });

  it("mints a new access token when the old one has expired", async () => {
    const tokens = await obtainTokens(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 7201 });
    const response = await refresh({ appid: WEB_APP.appid, grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(response.body.access_token).toMatch(/^\d+_[A-Za-z0-9_-]{80,}$/);
    expect(response.body.access_token).not.toBe(tokens.access_token);
    expect(response.body.refresh_token).toBe(tokens.refresh_token);

    const fresh = await callSns<ErrorBody>(server.url, "userinfo", { access_token: response.body.access_token, openid: tokens.openid });
    expect(fresh.body).toMatchObject({ openid: tokens.openid, nickname: "林晓" });
    const old = await callSns<ErrorBody>(server.url, "userinfo", { access_token: tokens.access_token, openid: tokens.openid });
    expect(old.body.errcode).toBe(42001);
  });

  it("answers 42002 once the refresh token is 30 days old", async () => {
    const tokens = await obtainTokens(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 30 * 24 * 3600 + 1 });
    const response = await refresh({ appid: WEB_APP.appid, grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(response.body.errcode).toBe(42002);
    expect(response.body.errmsg).toMatch(RID);
  });

  it("validates appid, grant_type and refresh_token", async () => {
    const tokens = await obtainTokens(server.url);
    const full = { appid: WEB_APP.appid, grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    const cases: [Record<string, string>, number][] = [
      [{ ...full, appid: "" }, 41002],
      [{ ...full, appid: "wx0000000000000000" }, 40013],
      [{ ...full, grant_type: "authorization_code" }, 40002],
      [{ ...full, refresh_token: "" }, 41003],
      [{ ...full, refresh_token: "92_nope" }, 40030],
      [{ ...full, appid: WEB2_APP.appid }, 40030],
    ];
    for (const [params, errcode] of cases) {
      expect((await refresh(params)).body.errcode, JSON.stringify(params)).toBe(errcode);
    }
  });
});

describe("/sns/auth and /sns/userinfo", () => {
  it("validates a token with errcode 0 and rejects it once expired with 42001", async () => {
    const tokens = await obtainTokens(server.url);
    const ok = await callSns<ErrorBody>(server.url, "auth", { access_token: tokens.access_token, openid: tokens.openid });
    expect(ok.headers.get("content-type")).toBe("text/plain");
    expect(ok.body).toEqual({ errcode: 0, errmsg: "ok" });

    await callControl(server.url, "clock", { advanceSeconds: 7200 });
    const expired = await callSns<ErrorBody>(server.url, "auth", { access_token: tokens.access_token, openid: tokens.openid });
    expect(expired.body.errcode).toBe(42001);
    expect(expired.body.errmsg).toMatch(/^access_token expired, rid: /);
  });

  it("maps missing, unknown and mismatched inputs to 41001, 40014, 41009 and 40003", async () => {
    const tokens = await obtainTokens(server.url);
    const other = openidFor(WEB_APP.appid, "zhang");
    for (const endpoint of ["auth", "userinfo"]) {
      const cases: [Record<string, string>, number][] = [
        [{ openid: tokens.openid }, 41001],
        [{ access_token: "92_unknown", openid: tokens.openid }, 40014],
        [{ access_token: tokens.access_token }, 41009],
        [{ access_token: tokens.access_token, openid: other }, 40003],
      ];
      for (const [params, errcode] of cases) {
        const response = await callSns<ErrorBody>(server.url, endpoint, params);
        expect(response.status).toBe(200);
        expect(response.body.errcode, `${endpoint} ${JSON.stringify(params)}`).toBe(errcode);
        expect(response.body.errmsg).toMatch(RID);
      }
    }
  });

  it("returns the post-2021 profile shape with unionid for a user that has one", async () => {
    const tokens = await obtainTokens(server.url, { user: "lin" });
    const response = await callSns(server.url, "userinfo", { access_token: tokens.access_token, openid: tokens.openid, lang: "zh_CN" });
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(response.body).toEqual({
      openid: openidFor(WEB_APP.appid, "lin"),
      nickname: "林晓",
      sex: 0,
      language: "",
      city: "",
      province: "",
      country: "",
      headimgurl: `${server.url}/avatar/lin/132`,
      privilege: [],
      unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"),
    });
    const avatar = await fetch(String(response.body.headimgurl));
    expect(avatar.status).toBe(200);
    expect(avatar.headers.get("content-type")).toContain("image/svg+xml");
    expect(await avatar.text()).toContain(">林<");
  });

  it("omits unionid for users without one and gives li an empty headimgurl", async () => {
    const chen = await obtainTokens(server.url, { user: "chen" });
    const chenInfo = await callSns(server.url, "userinfo", { access_token: chen.access_token, openid: chen.openid });
    expect(chenInfo.body.nickname).toBe("Chen Jie");
    expect("unionid" in chenInfo.body).toBe(false);

    const li = await obtainTokens(server.url, { user: "li" });
    const liInfo = await callSns(server.url, "userinfo", { access_token: li.access_token, openid: li.openid });
    expect(liInfo.body.headimgurl).toBe("");
    expect(liInfo.body.unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "li"));
  });

  it("keeps the OA in the registry but gives it no website QR login", async () => {
    const apps = await callControl<{ appid: string; type: string }[]>(server.url, "apps");
    expect(apps.body).toContainEqual(expect.objectContaining({ appid: OA_APP.appid, type: "official_account" }));
  });
});

describe("routing", () => {
  it("answers 404 for unknown paths", async () => {
    expect((await fetch(`${server.url}/sns/unknown`)).status).toBe(404);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});

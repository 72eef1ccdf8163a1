import { describe, expect, it } from "vitest";
import { DEMO_OPEN_ACCOUNT_ID, OA_APP, openidFor, snapshotOpenidFor, snapshotUnionidFor, unionidFor, WEB_APP } from "./config";
import { callControl, callSns, useEmulatorServer, WECHAT_UA } from "./test-helpers";
import type { TokenBody } from "./test-helpers";

const CALLBACK = "http://localhost:3000/oa/callback";
const DESKTOP_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

const server = useEmulatorServer();

type Params = [string, string][];

function authorizeParams(overrides: Record<string, string | undefined> = {}, extra: Params = []): Params {
  const defaults: Record<string, string | undefined> = {
    appid: OA_APP.appid,
    redirect_uri: CALLBACK,
    response_type: "code",
    scope: "snsapi_base",
    state: "abc123",
    ...overrides,
  };
  const ordered: Params = [];
  for (const [name, value] of Object.entries(defaults)) if (value !== undefined) ordered.push([name, value]);
  return [...ordered, ...extra];
}

function authorizeUrl(params: Params): string {
  return `${server.url}/connect/oauth2/authorize?${new URLSearchParams(params)}#wechat_redirect`;
}

async function authorize(params: Params, options: { user?: string | null; ua?: string; cookie?: string } = {}) {
  const cookies = [options.user === null ? "" : `wx_user=${options.user ?? "lin"}`, options.cookie ?? ""].filter(Boolean).join("; ");
  const response = await fetch(authorizeUrl(params), {
    redirect: "manual",
    headers: { "user-agent": options.ua ?? WECHAT_UA, ...(cookies ? { cookie: cookies } : {}) },
  });
  return readNavigation(response);
}

/**
 * The emulator answers a silent authorization with a page that navigates by script (so the
 * `#wechat_redirect` fragment is not carried on, as in the WeChat client); read it as the
 * redirect it stands for.
 */
async function readNavigation(response: Response) {
  const html = await response.text();
  const scripted = /location\.replace\(("[^"]*")\)/.exec(html)?.[1];
  if (response.status === 200 && scripted) return { status: 302, location: JSON.parse(scripted) as string, html };
  return { status: response.status, location: response.headers.get("location"), html };
}

function codeFrom(location: string | null): string {
  const code = new URL(location ?? "http://x.invalid").searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

function exchange(code: string, app = OA_APP) {
  return callSns<TokenBody & { errcode?: number; is_snapshotuser?: number }>(server.url, "oauth2/access_token", {
    appid: app.appid,
    secret: app.secret,
    code,
    grant_type: "authorization_code",
  });
}

async function consent(html: string, action: "allow" | "deny") {
  const id = /name="id" value="([^"]+)"/.exec(html)?.[1];
  if (!id) throw new Error("no consent sheet");
  const response = await fetch(`${server.url}/connect/oauth2/consent`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": WECHAT_UA },
    body: new URLSearchParams({ id, action }),
  });
  return { status: response.status, location: response.headers.get("location"), html: await response.text() };
}

function errorCodeOf(html: string): string | undefined {
  return /id="oa-error" data-code="(\d*)"/.exec(html)?.[1];
}

describe("authorize: where and how the link opens", () => {
  it("only opens inside WeChat", async () => {
    const page = await authorize(authorizeParams(), { ua: DESKTOP_UA });
    expect(page.status).toBe(200);
    expect(page.html).toContain('id="oa-not-wechat"');
    expect(page.html).toContain("请在微信客户端打开链接");
  });

  it("checks the parameter order strictly; extras may follow state", async () => {
    const ok = await authorize(
      authorizeParams({}, [
        ["forcePopup", "true"],
        ["connect_redirect", "1"],
      ]),
    );
    expect(ok.status).toBe(302);
    const swapped: Params = [
      ["redirect_uri", CALLBACK],
      ["appid", OA_APP.appid],
      ["response_type", "code"],
      ["scope", "snsapi_base"],
      ["state", "abc"],
    ];
    const extraBeforeState: Params = [
      ["appid", OA_APP.appid],
      ["redirect_uri", CALLBACK],
      ["response_type", "code"],
      ["scope", "snsapi_base"],
      ["connect_redirect", "1"],
      ["state", "abc"],
    ];
    for (const params of [swapped, extraBeforeState, authorizeParams({ response_type: undefined })]) {
      const page = await authorize(params);
      expect(page.status, JSON.stringify(params)).toBe(200);
      expect(page.html).toContain("该链接无法访问");
      expect(errorCodeOf(page.html)).toBe("");
    }
    const noState = await authorize(authorizeParams({ state: undefined }));
    expect(noState.status).toBe(302);
    expect(noState.location).toMatch(/\?code=[A-Za-z0-9]{32}&state=$/);
  });

  it("shows WeChat's numbered errors: 10012, 10003 (host or port), 10005, and a link error for an unknown appid", async () => {
    const cases: [Params, string][] = [
      [authorizeParams({ appid: "" }), "10012"],
      [authorizeParams({ redirect_uri: "http://evil.test/cb" }), "10003"],
      [authorizeParams({ redirect_uri: "http://localhost:3001/oa/callback" }), "10003"],
      [authorizeParams({ redirect_uri: "" }), "10011"],
      [authorizeParams({ scope: "snsapi_login" }), "10005"],
      [authorizeParams({ scope: "snsapi_userinfo,snsapi_base" }), "10005"],
      [authorizeParams({ scope: "" }), "10010"],
      [authorizeParams({ appid: WEB_APP.appid }), "10005"],
      [authorizeParams({ appid: "wx0000000000000000" }), ""],
      [authorizeParams({ response_type: "token" }), ""],
      [authorizeParams({ state: "has-dash" }), ""],
      [authorizeParams({ state: "a".repeat(129) }), ""],
    ];
    for (const [params, code] of cases) {
      const page = await authorize(params);
      expect(page.status, JSON.stringify(params)).toBe(200);
      expect(errorCodeOf(page.html), JSON.stringify(params)).toBe(code);
    }
    expect((await authorize(authorizeParams({ redirect_uri: "http://evil.test/cb" }))).html).toContain("redirect_uri域名与后台配置不一致");
    expect((await authorize(authorizeParams({ state: "a".repeat(128) }))).status).toBe(302);
  });

  it("asks which virtual user is in WeChat when no wx_user cookie is set; /_emulator/as sets it and goes back", async () => {
    const page = await authorize(authorizeParams(), { user: null });
    expect(page.html).toContain('id="oa-pick-user"');
    const link = /href="(\/_emulator\/as\?user=zhang[^"]+)"/.exec(page.html)?.[1]?.replaceAll("&amp;", "&");
    expect(link).toBeDefined();

    const as = await fetch(`${server.url}${link}`, { redirect: "manual" });
    expect(as.status).toBe(302);
    expect(as.headers.get("set-cookie")).toMatch(/^wx_user=zhang; Path=\/; Max-Age=\d+; SameSite=Lax/);
    const back = as.headers.get("location") ?? "";
    expect(back.startsWith("/connect/oauth2/authorize?appid=")).toBe(true);

    const again = await readNavigation(
      await fetch(`${server.url}${back}`, { redirect: "manual", headers: { "user-agent": WECHAT_UA, cookie: "wx_user=zhang" } }),
    );
    expect(again.status).toBe(302);
    const token = await exchange(codeFrom(again.location));
    expect(token.body.openid).toBe(openidFor(OA_APP.appid, "zhang"));

    expect((await fetch(`${server.url}/_emulator/as?user=nobody`)).status).toBe(400);
    expect((await fetch(`${server.url}/_emulator/as?user=lin&redirect=${encodeURIComponent("//evil.test")}`, { redirect: "manual" })).status).toBe(400);
    const json = await fetch(`${server.url}/_emulator/as?user=lin&snapshot=1`);
    expect(await json.json()).toEqual({ user: "lin", snapshot: true });
    expect(json.headers.get("set-cookie")).toContain("wx_snapshot=1");
  });
});

describe("authorize: scopes, consent and codes", () => {
  it("snsapi_base redirects at once; the token has scope snsapi_base, no unionid, and userinfo answers 48001", async () => {
    const page = await authorize(authorizeParams());
    expect(page.status).toBe(302);
    expect(page.location).toMatch(/^http:\/\/localhost:3000\/oa\/callback\?code=[A-Za-z0-9]{32}&state=abc123$/);
    const token = await exchange(codeFrom(page.location));
    expect(token.body).toEqual({
      access_token: expect.any(String),
      expires_in: 7200,
      refresh_token: expect.any(String),
      openid: openidFor(OA_APP.appid, "lin"),
      scope: "snsapi_base",
    });
    const info = await callSns(server.url, "userinfo", { access_token: token.body.access_token, openid: token.body.openid });
    expect(info.body.errcode).toBe(48001);
    const auth = await callSns(server.url, "auth", { access_token: token.body.access_token, openid: token.body.openid });
    expect(auth.body.errcode).toBe(0);
  });

  it("snsapi_userinfo shows the consent sheet; allow redirects with a code whose token carries unionid", async () => {
    const sheet = await authorize(authorizeParams({ scope: "snsapi_userinfo" }));
    expect(sheet.status).toBe(200);
    expect(sheet.html).toContain('id="oa-allow"');
    expect(sheet.html).toContain('id="oa-deny"');
    expect(sheet.html).toContain("林晓");

    const allowed = await consent(sheet.html, "allow");
    expect(allowed.status).toBe(303);
    expect(allowed.location).toMatch(/^http:\/\/localhost:3000\/oa\/callback\?code=\w{32}&state=abc123$/);
    const token = await exchange(codeFrom(allowed.location));
    expect(token.body).toMatchObject({ scope: "snsapi_userinfo", openid: openidFor(OA_APP.appid, "lin"), unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin") });
    expect(token.body).not.toHaveProperty("is_snapshotuser");
    const info = await callSns(server.url, "userinfo", { access_token: token.body.access_token, openid: token.body.openid });
    expect(info.body).toMatchObject({ nickname: "林晓", unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin") });

    // The sheet is single use.
    expect((await consent(sheet.html, "allow")).html).toContain("该链接无法访问");
  });

  it("gives no unionid to users without one", async () => {
    const sheet = await authorize(authorizeParams({ scope: "snsapi_userinfo" }), { user: "wang" });
    const token = await exchange(codeFrom((await consent(sheet.html, "allow")).location));
    expect(token.body.openid).toBe(openidFor(OA_APP.appid, "wang"));
    expect(token.body).not.toHaveProperty("unionid");
  });

  it("remembers the grant per user: no sheet the second time unless forcePopup=true", async () => {
    await consent((await authorize(authorizeParams({ scope: "snsapi_userinfo" }))).html, "allow");
    const silent = await authorize(authorizeParams({ scope: "snsapi_userinfo" }));
    expect(silent.status).toBe(302);
    expect((await exchange(codeFrom(silent.location))).body.scope).toBe("snsapi_userinfo");

    const forced = await authorize(authorizeParams({ scope: "snsapi_userinfo" }, [["forcePopup", "true"]]));
    expect(forced.html).toContain('id="oa-allow"');
    expect((await authorize(authorizeParams({ scope: "snsapi_userinfo" }), { user: "zhang" })).html).toContain('id="oa-allow"');
  });

  it("refusal: 'none' (default) shows 已拒绝 without redirecting; 'state-only' redirects with state only", async () => {
    const denied = await consent((await authorize(authorizeParams({ scope: "snsapi_userinfo" }))).html, "deny");
    expect(denied.status).toBe(200);
    expect(denied.location).toBeNull();
    expect(denied.html).toContain('id="oa-refused"');
    expect(denied.html).toContain("已拒绝");

    await callControl(server.url, "settings", { oaRefusal: "state-only" });
    const redirected = await consent((await authorize(authorizeParams({ scope: "snsapi_userinfo" }))).html, "deny");
    expect(redirected.status).toBe(303);
    expect(redirected.location).toBe(`${CALLBACK}?state=abc123`);
    // A refusal grants nothing.
    expect((await authorize(authorizeParams({ scope: "snsapi_userinfo" }))).status).toBe(200);
  });

  it("codes live 5 minutes (oaCodeTtlSeconds) and are single use", async () => {
    const code = codeFrom((await authorize(authorizeParams())).location);
    await callControl(server.url, "clock", { advanceSeconds: 299 });
    expect((await exchange(code)).body.openid).toBe(openidFor(OA_APP.appid, "lin"));
    expect((await exchange(code)).body.errcode).toBe(40163);

    const late = codeFrom((await authorize(authorizeParams())).location);
    await callControl(server.url, "clock", { advanceSeconds: 301 });
    expect((await exchange(late)).body.errcode).toBe(40029);

    await callControl(server.url, "settings", { oaCodeTtlSeconds: 30 });
    const short = codeFrom((await authorize(authorizeParams())).location);
    await callControl(server.url, "clock", { advanceSeconds: 31 });
    expect((await exchange(short)).body.errcode).toBe(40029);
  });

  it("does not let another app exchange an OA code", async () => {
    const code = codeFrom((await authorize(authorizeParams())).location);
    expect((await exchange(code, WEB_APP)).body.errcode).toBe(40029);
  });
});

describe("authorize: snapshot mode", () => {
  async function snapshotToken(options: { cookie?: string; extra?: Params } = {}) {
    const page = await authorize(authorizeParams({ scope: "snsapi_userinfo" }, options.extra ?? []), options.cookie ? { cookie: options.cookie } : {});
    expect(page.status).toBe(200);
    expect(page.html).toContain('id="oa-snapshot"');
    const target = /data-redirect="([^"]+)"/.exec(page.html)?.[1]?.replaceAll("&amp;", "&") ?? null;
    return exchange(codeFrom(target));
  }

  it("the setting yields is_snapshotuser: 1 with a virtual openid and unionid; userinfo answers 48001", async () => {
    await callControl(server.url, "settings", { snapshot: true });
    const token = await snapshotToken();
    expect(token.body).toMatchObject({
      is_snapshotuser: 1,
      scope: "snsapi_userinfo",
      openid: snapshotOpenidFor(OA_APP.appid, "lin"),
      unionid: snapshotUnionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"),
    });
    expect(token.body.openid).not.toBe(openidFor(OA_APP.appid, "lin"));
    expect(token.body.unionid).not.toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"));
    const info = await callSns(server.url, "userinfo", { access_token: token.body.access_token, openid: token.body.openid });
    expect(info.body.errcode).toBe(48001);
    const refreshed = await callSns<TokenBody>(server.url, "oauth2/refresh_token", {
      appid: OA_APP.appid,
      grant_type: "refresh_token",
      refresh_token: token.body.refresh_token,
    });
    expect(refreshed.body.openid).toBe(snapshotOpenidFor(OA_APP.appid, "lin"));
  });

  it("works per request: the wx_snapshot cookie or forceSnapShot=true", async () => {
    expect((await snapshotToken({ cookie: "wx_snapshot=1" })).body.is_snapshotuser).toBe(1);
    expect((await snapshotToken({ extra: [["forceSnapShot", "true"]] })).body.is_snapshotuser).toBe(1);
    const normal = await authorize(authorizeParams());
    expect((await exchange(codeFrom(normal.location))).body).not.toHaveProperty("is_snapshotuser");
  });
});

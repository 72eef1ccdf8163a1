import { describe, expect, it } from "vitest";
import { DEMO_APPS, DEMO_OPEN_ACCOUNT_ID, openidFor, unionidFor, WEB2_APP, WEB_APP } from "./config";
import { CALLBACK_URL, callControl, callSns, obtainTokens, openQr, useEmulatorServer } from "./test-helpers";

const server = useEmulatorServer({ callbackDomains: ["localhost:3000", "127.0.0.1:3000"] });

type Session = {
  uuid: string;
  status: string;
  userId?: string;
  code?: string;
  redirect?: string;
  state: string;
  appid: string;
  expiresAt: string;
};

describe("control API basics", () => {
  it("answers server-side callers (no Origin) and the emulator's own pages, without CORS", async () => {
    const response = await fetch(`${server.url}/_emulator/health`);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const own = await fetch(`${server.url}/_emulator/health`, { headers: { origin: server.url, "sec-fetch-site": "same-origin" } });
    expect(own.status).toBe(200);
  });

  it("refuses a page on another origin: it cannot confirm a pending login", async () => {
    const session = await openQr(server.url, { state: "evil" });
    await callControl(server.url, `qr/${session.uuid}/scan`, { user: "lin" });
    // What any page a developer visits could send: a simple POST needs no preflight.
    const attack = await fetch(`${server.url}/_emulator/qr/${session.uuid}/confirm`, {
      method: "POST",
      headers: { origin: "http://evil.example", "content-type": "text/plain", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ user: "lin" }),
    });
    expect(attack.status).toBe(403);
    expect(attack.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/_emulator/qr/${session.uuid}/confirm`, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    // A no-cors request carries no Origin but the browser's Sec-Fetch-Site; another localhost port is only same-site.
    const sameSite = await fetch(`${server.url}/_emulator/qr/${session.uuid}/confirm`, {
      method: "POST",
      headers: { "sec-fetch-site": "same-site" },
      body: "{}",
    });
    expect(sameSite.status).toBe(403);
    expect((await callControl<{ status: string }>(server.url, `qr/${session.uuid}`)).body.status).toBe("scanned");
  });

  it("lists apps and users without secrets", async () => {
    const apps = await callControl<Record<string, unknown>[]>(server.url, "apps");
    expect(apps.body).toEqual(DEMO_APPS.map(({ appid, name, type, openAccountId }) => ({ appid, name, type, openAccountId })));
    expect(JSON.stringify(apps.body)).not.toMatch(/c0ffee/);

    const users = await callControl<Record<string, unknown>[]>(server.url, "users");
    expect(users.body.map((user) => user.id)).toEqual(["lin", "zhang", "wang", "chen", "li"]);
    expect(users.body[0]).toMatchObject({
      nickname: "林晓",
      hasUnionid: true,
      unionid: unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin"),
      headimgurl: `${server.url}/avatar/lin/132`,
      openids: { [WEB_APP.appid]: openidFor(WEB_APP.appid, "lin") },
    });
    expect(users.body[2]).not.toHaveProperty("unionid");
    expect(users.body[4]).toMatchObject({ id: "li", headimgurl: "" });
    expect(JSON.stringify(users.body)).not.toMatch(/c0ffee/);
  });

  it("filters QR sessions by state and appid, newest first", async () => {
    const a = await openQr(server.url, { state: "shared" });
    const b = await openQr(server.url, { state: "other" });
    const c = await openQr(server.url, { state: "shared", appid: WEB2_APP.appid });

    const all = await callControl<Session[]>(server.url, "qr");
    expect(all.body.map((s) => s.uuid)).toEqual([c.uuid, b.uuid, a.uuid]);
    const shared = await callControl<Session[]>(server.url, "qr?state=shared");
    expect(shared.body.map((s) => s.uuid)).toEqual([c.uuid, a.uuid]);
    const web2 = await callControl<Session[]>(server.url, `qr?state=shared&appid=${WEB2_APP.appid}`);
    expect(web2.body.map((s) => s.uuid)).toEqual([c.uuid]);
  });
});

describe("QR actions", () => {
  it("scans, then confirms with a code and the full redirect", async () => {
    const { uuid } = await openQr(server.url, { state: "s/1", redirect_uri: "http://127.0.0.1:3000/cb?x=1" });
    const scanned = await callControl<Session>(server.url, `qr/${uuid}/scan`, { user: "chen" });
    expect(scanned.body).toMatchObject({ status: "scanned", userId: "chen" });
    expect(scanned.body).not.toHaveProperty("code");

    const confirmed = await callControl<Session>(server.url, `qr/${uuid}/confirm`, { user: "chen" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe("confirmed");
    expect(confirmed.body.code).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(confirmed.body.redirect).toBe(`http://127.0.0.1:3000/cb?x=1&code=${confirmed.body.code}&state=s%2F1`);
    expect((await callControl<Session>(server.url, `qr/${uuid}`)).body).toMatchObject({ status: "confirmed", code: confirmed.body.code });
  });

  it("confirms straight from waiting (scanning implicitly)", async () => {
    const { uuid } = await openQr(server.url);
    const confirmed = await callControl<Session>(server.url, `qr/${uuid}/confirm`, { user: "wang" });
    expect(confirmed.body).toMatchObject({ status: "confirmed", userId: "wang" });
    const tokens = await callSns(server.url, "oauth2/access_token", {
      appid: WEB_APP.appid,
      secret: WEB_APP.secret,
      code: confirmed.body.code ?? "",
      grant_type: "authorization_code",
    });
    expect(tokens.body.openid).toBe(openidFor(WEB_APP.appid, "wang"));
  });

  it("defaults the user to lin when the body has none", async () => {
    const { uuid } = await openQr(server.url);
    const response = await fetch(`${server.url}/_emulator/qr/${uuid}/confirm`, { method: "POST" });
    expect(((await response.json()) as Session).userId).toBe("lin");
  });

  it("records the documented state-only redirect on cancel, or none with refusal=none", async () => {
    const first = await openQr(server.url, { state: "c1" });
    const cancelled = await callControl<Session>(server.url, `qr/${first.uuid}/cancel`, {});
    expect(cancelled.body).toMatchObject({ status: "cancelled", redirect: `${CALLBACK_URL}?state=c1` });

    await callControl(server.url, "settings", { refusal: "none" });
    const second = await openQr(server.url, { state: "c2" });
    const quiet = await callControl<Session>(server.url, `qr/${second.uuid}/cancel`, {});
    expect(quiet.body.status).toBe("cancelled");
    expect(quiet.body).not.toHaveProperty("redirect");
  });

  it("answers 404 for unknown uuids, 400 for unknown users and 409 for finished QR codes", async () => {
    const missing = await callControl(server.url, "qr/nope/confirm", { user: "lin" });
    expect(missing).toMatchObject({ status: 404, body: { error: expect.stringContaining("nope") } });
    expect((await callControl(server.url, "qr/nope")).status).toBe(404);

    const { uuid } = await openQr(server.url);
    const badUser = await callControl(server.url, `qr/${uuid}/scan`, { user: "mallory" });
    expect(badUser).toMatchObject({ status: 400, body: { error: expect.stringContaining("mallory") } });

    await callControl(server.url, `qr/${uuid}/confirm`, { user: "lin" });
    for (const action of ["scan", "confirm", "cancel", "expire"]) {
      const again = await callControl(server.url, `qr/${uuid}/${action}`, { user: "lin" });
      expect(again.status, action).toBe(409);
      expect(again.body.error).toEqual(expect.any(String));
    }

    const expired = await openQr(server.url);
    await callControl(server.url, `qr/${expired.uuid}/expire`, {});
    expect((await callControl(server.url, `qr/${expired.uuid}/confirm`, { user: "lin" })).status).toBe(409);
    expect((await callControl<Session>(server.url, `qr/${expired.uuid}`)).body.status).toBe("expired");
  });

  it("expires QR codes after qrTtlSeconds on the emulator clock", async () => {
    const { uuid } = await openQr(server.url);
    await callControl(server.url, "clock", { advanceSeconds: 299 });
    expect((await callControl<Session>(server.url, `qr/${uuid}`)).body.status).toBe("waiting");
    await callControl(server.url, "clock", { advanceSeconds: 2 });
    expect((await callControl<Session>(server.url, `qr/${uuid}`)).body.status).toBe("expired");
    expect((await callControl(server.url, `qr/${uuid}/scan`, { user: "lin" })).status).toBe(409);
  });
});

describe("settings, clock and validation", () => {
  it("reads and patches settings", async () => {
    const defaults = await callControl(server.url, "settings");
    expect(defaults.body).toEqual({
      qrTtlSeconds: 300,
      codeTtlSeconds: 600,
      refusal: "state-only",
      callbackDomains: ["localhost:3000", "127.0.0.1:3000"],
      longPollMs: 25_000,
      oaPushUrl: "http://localhost:3000/api/wechat/events",
      oaPushMode: "safe",
      oaPushToken: "demoPushToken2026",
      oaEncodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
      pushTimeoutMs: 5000,
      oaRefusal: "none",
      oaCodeTtlSeconds: 300,
      snapshot: false,
      unboundApps: [],
      mpCodePerMinute: 5000,
      blockedUsers: [],
      mpCodeFormat: "png",
      mpApiOrigin: "http://localhost:3000",
      dailyQuota: {},
    });
    const patched = await callControl(server.url, "settings", { qrTtlSeconds: 60, callbackDomains: ["example.com"] });
    expect(patched.body).toMatchObject({ qrTtlSeconds: 60, codeTtlSeconds: 600, callbackDomains: ["example.com"] });
    const { uuid } = await (async () => {
      await callControl(server.url, "settings", { callbackDomains: ["localhost:3000"] });
      return openQr(server.url);
    })();
    const session = await callControl<{ createdAt: string; expiresAt: string }>(server.url, `qr/${uuid}`);
    expect(Date.parse(session.body.expiresAt) - Date.parse(session.body.createdAt)).toBe(60_000);
  });

  it("rejects malformed control requests with 400 and a message", async () => {
    const badJson = await fetch(`${server.url}/_emulator/settings`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toMatch(/JSON/);

    const cases: [string, unknown][] = [
      ["settings", { qrTtlSeconds: "60" }],
      ["settings", { refusal: "maybe" }],
      ["settings", { callbackDomain: ["typo"] }],
      ["clock", { advanceSeconds: -5 }],
      ["clock", {}],
      ["faults", { endpoint: "sns/nope", errcode: 1 }],
      [`qr/whatever/scan`, { user: 42 }],
    ];
    for (const [path, body] of cases) {
      const response = await callControl(server.url, path, body);
      expect(response.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(response.body.error).toEqual(expect.any(String));
    }
    expect((await callControl(server.url, "reset", undefined, "GET")).status).toBe(405);
    expect((await callControl(server.url, "nothing-here")).status).toBe(404);
  });

  it("advances the clock and reports the offset", async () => {
    const before = await callControl<{ now: string; offsetSeconds: number }>(server.url, "clock");
    expect(before.body.offsetSeconds).toBe(0);
    const after = await callControl<{ now: string; offsetSeconds: number }>(server.url, "clock", { advanceSeconds: 3600 });
    expect(after.body.offsetSeconds).toBe(3600);
    expect(Date.parse(after.body.now) - Date.parse(before.body.now)).toBeGreaterThanOrEqual(3_600_000);
  });
});

describe("reset", () => {
  it("clears sessions, codes, tokens, faults, the clock and settings", async () => {
    const tokens = await obtainTokens(server.url);
    const { uuid } = await openQr(server.url);
    const confirmed = await callControl<Session>(server.url, `qr/${uuid}/confirm`, { user: "lin" });
    await callControl(server.url, "faults", { endpoint: "sns/userinfo", errcode: -1, times: 5 });
    await callControl(server.url, "clock", { advanceSeconds: 100 });
    await callControl(server.url, "settings", { refusal: "none", callbackDomains: ["x.example"], codeTtlSeconds: 5 });

    expect((await callControl(server.url, "reset", {})).body).toEqual({ ok: true });

    expect((await callControl(server.url, `qr/${uuid}`)).status).toBe(404);
    expect((await callControl<Session[]>(server.url, "qr")).body).toEqual([]);
    expect((await callControl<unknown[]>(server.url, "faults")).body).toEqual([]);
    expect((await callControl(server.url, "clock")).body.offsetSeconds).toBe(0);
    expect((await callControl(server.url, "settings")).body).toMatchObject({
      refusal: "state-only",
      codeTtlSeconds: 600,
      callbackDomains: ["localhost:3000", "127.0.0.1:3000"],
    });
    const auth = await callSns(server.url, "auth", { access_token: tokens.access_token, openid: tokens.openid });
    expect(auth.body.errcode).toBe(40014);
    const exchange = await callSns(server.url, "oauth2/access_token", {
      appid: WEB_APP.appid,
      secret: WEB_APP.secret,
      code: confirmed.body.code ?? "",
      grant_type: "authorization_code",
    });
    expect(exchange.body.errcode).toBe(40029);
  });
});

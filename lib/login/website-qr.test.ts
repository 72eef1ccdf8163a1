/**
 * The website app's QR in both of WeChat's forms, against the emulator over real HTTP: the URLs
 * and options we hand out, the browser-bound state behind them, and the person the surface reads
 * from WeChat's answer. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openidFor, unionidFor, WEB_APP, WEB2_APP } from "@/emulator/config";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { exchangeCode } from "@/lib/wechat/sns";
import { beginWebsiteLogin, websiteQrSurface } from "./website-qr";

const ORIGIN = "http://localhost:3999";
const emulator = useTestEmulator({ callbackDomain: "localhost:3999" });

describe.each(testDatabases())("the website QR on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  afterEach(() => emulator.reset());

  it("builds WeChat's URLs as documented", async () => {
    const begin = await beginWebsiteLogin({
      appKey: "web2",
      form: "embedded",
      bindingHash: sha256(randomToken(32)),
      ip: null,
      origin: ORIGIN,
      lang: "en",
      selfRedirect: true,
    });
    const url = new URL(begin.qrconnectUrl);
    expect([...url.searchParams.keys()]).toEqual(["appid", "redirect_uri", "response_type", "scope", "state", "lang"]);
    expect(url.searchParams.get("appid")).toBe(WEB2_APP.appid);
    expect(url.hash).toBe("#wechat_redirect");
    expect(begin.state).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(begin.wxLogin).toEqual({
      appid: WEB2_APP.appid,
      scope: "snsapi_login",
      redirect_uri: encodeURIComponent(`${ORIGIN}/api/wechat/callback`),
      state: begin.state,
      self_redirect: true,
      lang: "en",
    });
  });

  it("stores the state only as its hash, bound to the browser, with a return path that stays on our site", async () => {
    const binding = randomToken(32);
    const begin = await beginWebsiteLogin({
      form: "redirect",
      returnTo: "https://evil.example/phish",
      bindingHash: sha256(binding),
      ip: "203.0.113.9",
      origin: ORIGIN,
    });
    expect(begin.appId).toBe(WEB_APP.appid);
    expect(new URL(begin.qrconnectUrl).searchParams.has("lang")).toBe(false);
    expect(begin.wxLogin).not.toHaveProperty("lang");
    const prisma = await db();
    expect(await prisma.wechatLoginState.findUnique({ where: { id: begin.state } })).toBeNull();
    const row = await prisma.wechatLoginState.findUniqueOrThrow({ where: { id: sha256(begin.state) } });
    expect(row).toMatchObject({ bindingHash: sha256(binding), appId: WEB_APP.appid, mode: "redirect", returnTo: "/account", consumedAt: null });
    expect(row.expiresAt.toISOString()).toBe(begin.expiresAt);
  });

  it("refuses an app it does not know and mints no state", async () => {
    const prisma = await db();
    const before = await prisma.wechatLoginState.count();
    const begin = beginWebsiteLogin({ appKey: "web3", form: "embedded", bindingHash: sha256(randomToken(32)), ip: null, origin: ORIGIN });
    await expect(begin).rejects.toBeInstanceOf(AppError);
    await expect(begin).rejects.toMatchObject({ code: "unknown_app" });
    expect(await prisma.wechatLoginState.count()).toBe(before);
  });

  it("WeChat's QR page takes our URL, and the phone's confirm comes back to our callback with the state", async () => {
    const begin = await beginWebsiteLogin({ form: "redirect", bindingHash: sha256(randomToken(32)), ip: null, origin: ORIGIN });
    const { code, redirect } = await emulator.scanWebsiteQr(begin.qrconnectUrl, "zhang");
    const back = new URL(redirect);
    expect(`${back.origin}${back.pathname}`).toBe(begin.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toEqual({ code, state: begin.state });
    // The embedded form loads WeChat's script from the URL we hand out.
    const script = await fetch(begin.wxLoginJsUrl);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("WxLogin");
  });

  it("reads the person from WeChat's profile: nickname, avatar, unionid, and the tokens to keep", async () => {
    const begin = await beginWebsiteLogin({ form: "redirect", bindingHash: sha256(randomToken(32)), ip: null, origin: ORIGIN });
    const { code } = await emulator.scanWebsiteQr(begin.qrconnectUrl, "lin");
    const app = { appId: WEB_APP.appid, secret: WEB_APP.secret };
    const token = await exchangeCode(app, code);
    const identified = await websiteQrSurface.identify(token, app);
    expect(identified).toMatchObject({
      kind: "person",
      person: {
        appId: WEB_APP.appid,
        openid: openidFor(WEB_APP.appid, "lin"),
        unionid: unionidFor("demo", "lin"),
        nickname: "林晓",
        avatarUrl: expect.stringMatching(/^https?:\/\//),
        tokens: { accessToken: token.access_token, refreshToken: token.refresh_token, expiresIn: 7200, scope: "snsapi_login" },
      },
    });
    expect(websiteQrSurface.method).toBe("wechat:website");
    expect(websiteQrSurface.credentials(WEB2_APP.appid)).toMatchObject({ appId: WEB2_APP.appid, secret: WEB2_APP.secret });
    expect(websiteQrSurface.credentials("wx8e0b5c61d2a3f4a0")).toBeUndefined();
  });
});

/**
 * /api/wechat/login, where a website QR sign-in starts: GET redirects to WeChat's full-page QR,
 * POST answers the embedded QR's options; both bind the state to this browser's cookie, within
 * the per-browser limit. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WEB2_APP } from "@/emulator/config";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withDefaultLimits, withEnv } from "@/lib/test/env";
import { ROUTE_ORIGIN, routeRequest, setCookie } from "@/lib/test/requests";
import { GET, POST as beginLogin } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

describe.each(testDatabases())("/api/wechat/login on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await (await db()).limitHit.deleteMany({});
  });
  afterEach(() => withDefaultLimits());

  it("login states are limited per browser too", async () => {
    withEnv({ LIMIT_LOGIN_PER_BROWSER: "2" });
    const binding = randomToken(32);
    const begin = () => beginLogin(routeRequest("/api/wechat/login", { method: "POST", cookies: { [bindingCookieName()]: binding }, body: { app: "web" } }));
    expect((await begin()).status).toBe(200);
    expect((await begin()).status).toBe(200);
    const refused = await begin();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("GET sends a new browser to WeChat's QR page with a state bound to the cookie it sets", async () => {
    const response = await GET(routeRequest("/api/wechat/login?app=web2&returnTo=%2Faccount%3Ftab%3Dsessions"));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${emulator.url}/connect/qrconnect`);
    expect(location.searchParams.get("appid")).toBe(WEB2_APP.appid);
    expect(location.searchParams.get("redirect_uri")).toBe(`${ROUTE_ORIGIN}/api/wechat/callback`);
    const binding = setCookie(response, bindingCookieName());
    expect(binding?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(location.searchParams.get("state")!) } });
    expect(state).toMatchObject({ bindingHash: sha256(binding!.value), mode: "redirect", returnTo: "/account?tab=sessions", appId: WEB2_APP.appid });
  });

  it("GET for an unknown app lands on the error page; POST refuses another site's page and a malformed body", async () => {
    const unknown = await GET(routeRequest("/api/wechat/login?app=nope"));
    expect(unknown.status).toBe(303);
    expect(unknown.headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/error?reason=unknown_app`);

    const crossSite = await beginLogin(
      routeRequest("/api/wechat/login", { method: "POST", body: { app: "web" }, headers: { origin: "https://evil.example" } }),
    );
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toEqual({ error: "cross_origin", message: expect.any(String) });
    const malformed = await beginLogin(routeRequest("/api/wechat/login", { method: "POST", body: { app: "web", lang: "fr" } }));
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({ error: "invalid_request", message: expect.any(String) });
  });

  it("POST answers the embedded QR's options and keeps a browser's existing binding", async () => {
    const binding = randomToken(32);
    const response = await beginLogin(
      routeRequest("/api/wechat/login", { method: "POST", cookies: { [bindingCookieName()]: binding }, body: { app: "web", selfRedirect: true } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(setCookie(response, bindingCookieName())).toBeUndefined();
    const body = (await response.json()) as { state: string; wxLogin: { self_redirect: boolean; redirect_uri: string } };
    expect(body.wxLogin).toMatchObject({ self_redirect: true, redirect_uri: encodeURIComponent(`${ROUTE_ORIGIN}/api/wechat/callback`) });
    const state = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(body.state) } });
    expect(state).toMatchObject({ bindingHash: sha256(binding), mode: "embedded" });
  });
});

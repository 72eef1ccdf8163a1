/**
 * GET /api/wechat/oa/login, the start of a sign-in inside WeChat's browser: a redirect to the
 * Official Account's authorize URL with a state bound to this browser's cookie. On the embedded
 * database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OA_APP } from "@/emulator/config";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withEnv } from "@/lib/test/env";
import { ROUTE_ORIGIN, routeRequest, setCookie } from "@/lib/test/requests";
import { GET } from "./route";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

describe.each(testDatabases())("GET /api/wechat/oa/login on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await (await db()).limitHit.deleteMany();
  });
  afterEach(() => withEnv({ LIMIT_LOGIN_PER_IP: undefined, AUTH_WECHAT_ID: undefined, AUTH_WECHAT_SECRET: undefined }));

  it("sends the browser to the silent authorize URL with a state bound to the cookie it sets", async () => {
    const response = await GET(routeRequest("/api/wechat/oa/login?returnTo=%2Fdocs"));
    expect(response.status).toBe(302);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const location = response.headers.get("location")!;
    expect(location.startsWith(`${emulator.url}/connect/oauth2/authorize?`)).toBe(true);
    expect(location.endsWith("#wechat_redirect")).toBe(true);
    const query = new URL(location).searchParams;
    expect(query.get("scope")).toBe("snsapi_base");
    expect(query.get("redirect_uri")).toBe(`${ROUTE_ORIGIN}/api/wechat/callback`);
    const binding = setCookie(response, bindingCookieName())!;
    const state = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(query.get("state")!) } });
    expect(state).toMatchObject({ appId: OA_APP.appid, mode: "oa_base", returnTo: "/docs", bindingHash: sha256(binding.value) });
  });

  it("asks for consent with scope=userinfo, and keeps a return path on our site", async () => {
    const binding = randomToken(32);
    const response = await GET(
      routeRequest("/api/wechat/oa/login?scope=userinfo&returnTo=%2F%2Fevil.example", { cookies: { [bindingCookieName()]: binding } }),
    );
    const query = new URL(response.headers.get("location")!).searchParams;
    expect(query.get("scope")).toBe("snsapi_userinfo");
    expect(setCookie(response, bindingCookieName())).toBeUndefined();
    const state = await (await db()).wechatLoginState.findUniqueOrThrow({ where: { id: sha256(query.get("state")!) } });
    expect(state).toMatchObject({ mode: "oa_userinfo", returnTo: "/account", bindingHash: sha256(binding) });
  });

  it("answers a browser past its limit with the localized 429 page, and still gives it its cookie", async () => {
    withEnv({ LIMIT_LOGIN_PER_IP: "1" });
    expect((await GET(routeRequest("/api/wechat/oa/login", { ip: "203.0.113.60" }))).status).toBe(302);
    const refused = await GET(routeRequest("/api/wechat/oa/login", { ip: "203.0.113.60", cookies: { locale: "en" } }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await refused.text()).toContain("Too many requests.");
    expect(setCookie(refused, bindingCookieName())?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("lands on the error page on a site without an Official Account", async () => {
    withEnv({ AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) });
    const response = await GET(routeRequest("/api/wechat/oa/login"));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/error?reason=unknown_app`);
  });
});

/**
 * WeChat's redirect back to us, as the browser meets it: a confirmed QR signs the browser in
 * (session cookie, rotated binding, no Referer leak), inside WeChat's iframe the top window moves
 * on, and every failure lands on the error page with its reason. Against the emulator over HTTP,
 * on the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { bindingCookieName, sessionCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { findAttempt } from "@/lib/db/attempts";
import { db } from "@/lib/db/client";
import { beginWebsiteLogin } from "@/lib/login/website-qr";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { ROUTE_ORIGIN, routeRequest, setCookie } from "@/lib/test/requests";

// Who this browser is signed in as is asked only on duplicate and foreign callbacks.
vi.mock("@/lib/auth", () => ({ auth: async () => null }));
const { GET } = await import("./route");

const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });

/** A browser that began a website login and whose phone confirmed it: the callback path WeChat sends it to. */
async function confirmedLogin(user = "lin") {
  const binding = randomToken(32);
  const begin = await beginWebsiteLogin({ form: "redirect", returnTo: "/account?tab=sessions", bindingHash: sha256(binding), ip: null, origin: ROUTE_ORIGIN });
  const { redirect } = await emulator.scanWebsiteQr(begin.qrconnectUrl, user);
  const url = new URL(redirect);
  return { binding, path: `${url.pathname}${url.search}` };
}

describe.each(testDatabases())("GET /api/wechat/callback on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  afterEach(() => emulator.reset());

  it("signs the browser in: on to where it was going, with a session cookie, a new binding and no Referer", async () => {
    const { binding, path } = await confirmedLogin();
    const response = await GET(routeRequest(path, { cookies: { [bindingCookieName()]: binding } }));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${ROUTE_ORIGIN}/account?tab=sessions`);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    const session = setCookie(response, sessionCookieName())!;
    const row = await (await db()).session.findUniqueOrThrow({ where: { sessionToken: session.value }, include: { user: true } });
    expect(row.user.name).toBe("林晓");
    const rotated = setCookie(response, bindingCookieName());
    expect(rotated?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated?.value).not.toBe(binding);
  });

  it("does not spend the code on a prefetch", async () => {
    const { binding, path } = await confirmedLogin();
    const cookies = { [bindingCookieName()]: binding };
    const prefetch = await GET(routeRequest(path, { cookies, headers: { "sec-purpose": "prefetch" } }));
    expect(prefetch.status).toBe(204);
    expect(prefetch.headers.getSetCookie()).toEqual([]);
    expect((await emulator.stats())["sns/oauth2/access_token"] ?? 0).toBe(0);
    const navigation = await GET(routeRequest(path, { cookies }));
    expect(navigation.headers.get("location")).toBe(`${ROUTE_ORIGIN}/account?tab=sessions`);
    expect(setCookie(navigation, sessionCookieName())).toBeDefined();
  });

  it("inside WeChat's iframe (self_redirect), moves the top window on instead of the frame", async () => {
    const { binding, path } = await confirmedLogin("zhang");
    const response = await GET(routeRequest(path, { cookies: { [bindingCookieName()]: binding }, headers: { "sec-fetch-dest": "iframe" } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain(`window.top.location.replace(${JSON.stringify(`${ROUTE_ORIGIN}/account?tab=sessions`)})`);
    expect(setCookie(response, sessionCookieName())).toBeDefined();
  });

  it("sends another browser, a missing state and a tampered query to the error page, signing no one in", async () => {
    const { path } = await confirmedLogin("wang");
    const cases: [string, Record<string, string>, string][] = [
      [path, { [bindingCookieName()]: randomToken(32) }, "state_wrong_browser"],
      ["/api/wechat/callback?code=abc", {}, "state_missing"],
      [`/api/wechat/callback?code=${encodeURIComponent("<script>")}&state=x`, {}, "state_invalid"],
    ];
    for (const [target, cookies, reason] of cases) {
      const response = await GET(routeRequest(target, { cookies }));
      expect(response.status).toBe(303);
      expect(response.headers.get("location")).toBe(`${ROUTE_ORIGIN}/login/error?reason=${reason}`);
      expect(setCookie(response, sessionCookieName())).toBeUndefined();
    }
    expect(await (await db()).user.count({ where: { name: "王芳" } })).toBe(0);
  });

  it("reports the person's cancel with the way back, and a code WeChat refuses with its errcode", async () => {
    const binding = randomToken(32);
    const begin = await beginWebsiteLogin({ form: "redirect", returnTo: "/docs", bindingHash: sha256(binding), ip: null, origin: ROUTE_ORIGIN });
    const cancelled = await GET(routeRequest(`/api/wechat/callback?state=${begin.state}`, { cookies: { [bindingCookieName()]: binding } }));
    const cancelledAt = new URL(cancelled.headers.get("location")!);
    expect(cancelledAt.pathname).toBe("/login/error");
    expect(Object.fromEntries(cancelledAt.searchParams)).toEqual({ reason: "cancelled", returnTo: "/docs", attempt: expect.any(String) });

    const { binding: other, path } = await confirmedLogin();
    await emulator.control("faults", { endpoint: "sns/oauth2/access_token", errcode: 40029 });
    const refused = await GET(routeRequest(path, { cookies: { [bindingCookieName()]: other } }));
    const refusedAt = new URL(refused.headers.get("location")!);
    expect(Object.fromEntries(refusedAt.searchParams)).toEqual({ reason: "40029", returnTo: "/account?tab=sessions", attempt: expect.any(String) });

    // The reference on the error page is what support types into the console: it opens this very attempt.
    const found = await findAttempt(refusedAt.searchParams.get("attempt")!);
    expect(found).toMatchObject({ surface: "website", outcome: "failed", errcode: 40029, rid: expect.stringMatching(/^[0-9a-f]{8}-/) });
    expect((await findAttempt(cancelledAt.searchParams.get("attempt")!))?.outcome).toBe("denied");
    // It is not the state: the reference cannot be replayed as the callback's state.
    expect(refusedAt.searchParams.get("attempt")).not.toBe(new URL(`http://x${path}`).searchParams.get("state"));
  });
});

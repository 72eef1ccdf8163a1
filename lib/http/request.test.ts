import { describe, expect, it } from "vitest";
import { sessionCookieName } from "@/lib/auth/cookies";
import { parseEnv } from "@/lib/env";
import { PEER_HEADER } from "@/lib/peer-address";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { clientIp, isPrefetch, isSameOriginRequest, publicOrigin, readSessionToken, resolveClientIp } from "./request";

const trust = (value?: string) => parseEnv(value === undefined ? {} : { TRUSTED_PROXIES: value }).trustedProxies;

describe("the client address", () => {
  it("is the socket's peer by default, whatever X-Forwarded-For claims", () => {
    expect(resolveClientIp("203.0.113.9", "1.2.3.4", trust())).toBe("203.0.113.9");
    expect(resolveClientIp("::ffff:203.0.113.9", null, trust())).toBe("203.0.113.9");
  });

  it("with one trusted hop is what our proxy appended, not what the client wrote before it", () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the address it saw.
    expect(resolveClientIp("10.0.0.2", "1.2.3.4, 198.51.100.7", trust("1"))).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.2", null, trust("1"))).toBe("10.0.0.2");
  });

  it("with trusted ranges is the nearest address outside them", () => {
    expect(resolveClientIp("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", trust("10.0.0.0/8"))).toBe("198.51.100.7");
    expect(resolveClientIp("203.0.113.9", "1.2.3.4", trust("10.0.0.0/8"))).toBe("203.0.113.9");
  });

  it("never takes a malformed entry as an address", () => {
    expect(resolveClientIp("10.0.0.2", "<script>, not-an-ip", trust("1"))).toBe("10.0.0.2");
    expect(resolveClientIp(null, null, trust())).toBeNull();
  });
});

describe("what a route may trust of a request", () => {
  restoreEnvAfterEach();

  it("takes our origin from AUTH_URL, never from forwarded host headers", () => {
    const forwarded = new Request("http://internal:3000/api/wechat/login", { headers: { "x-forwarded-host": "evil.example", host: "evil.example" } });
    withEnv({ AUTH_URL: undefined });
    expect(publicOrigin(forwarded)).toBe("http://internal:3000");
    withEnv({ AUTH_URL: "https://login.example.com/some/path" });
    expect(publicOrigin(forwarded)).toBe("https://login.example.com");
  });

  it("refuses a request another site's page sent, and lets same-origin and Origin-less ones pass", () => {
    withEnv({ AUTH_URL: "https://login.example.com" });
    const from = (origin?: string) => new Request("http://internal:3000/api/login-tickets", { method: "POST", headers: origin ? { origin } : {} });
    expect(isSameOriginRequest(from("https://evil.example"))).toBe(false);
    expect(isSameOriginRequest(from("https://login.example.com.evil.example"))).toBe(false);
    expect(isSameOriginRequest(from("https://login.example.com"))).toBe(true);
    expect(isSameOriginRequest(from("http://internal:3000"))).toBe(true);
    expect(isSameOriginRequest(from())).toBe(true);
  });

  it("tells a prefetch from a navigation", () => {
    const load = (headers: Record<string, string>) => new Request("http://localhost/api/wechat/callback", { headers });
    expect(isPrefetch(load({ "sec-purpose": "prefetch;prerender" }))).toBe(true);
    expect(isPrefetch(load({ purpose: "prefetch" }))).toBe(true);
    expect(isPrefetch(load({ "next-router-prefetch": "1" }))).toBe(true);
    expect(isPrefetch(load({}))).toBe(false);
  });

  it("reads the client address from the socket peer the server recorded, and the session cookie by its name", () => {
    expect(clientIp(new Request("http://localhost/", { headers: { [PEER_HEADER]: "203.0.113.9", "x-forwarded-for": "1.2.3.4" } }))).toBe("203.0.113.9");
    const cookies = new Map([[sessionCookieName(), { value: "token" }]]);
    expect(readSessionToken(cookies)).toBe("token");
    expect(readSessionToken(new Map())).toBeUndefined();
  });
});

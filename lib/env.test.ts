import { describe, expect, it } from "vitest";
import { DEMO_WECHAT_APPS, EnvError, parseEnv } from "./env";

const realApp = { AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) };

describe("parseEnv", () => {
  it("defaults to the emulator and its demo apps when no credentials are set", () => {
    const env = parseEnv({});
    expect(env.wechat.usesEmulator).toBe(true);
    expect(env.wechat.openBaseUrl).toBe("http://localhost:3100");
    expect(env.wechat.apiBaseUrl).toBe("http://localhost:3100");
    expect(env.wechat.wxLoginJsUrl).toBe("http://localhost:3100/connect/zh_CN/htmledition/js/wxLogin.js");
    expect(env.wechat.apps.map((app) => app.appId)).toEqual([DEMO_WECHAT_APPS.web.appId, DEMO_WECHAT_APPS.web2.appId]);
  });

  it("uses WeChat's real hosts once credentials are configured", () => {
    const env = parseEnv(realApp);
    expect(env.wechat.usesEmulator).toBe(false);
    expect(env.wechat.openBaseUrl).toBe("https://open.weixin.qq.com");
    expect(env.wechat.apiBaseUrl).toBe("https://api.weixin.qq.com");
    expect(env.wechat.wxLoginJsUrl).toBe("https://res.wx.qq.com/connect/zh_CN/htmledition/js/wxLogin.js");
    expect(env.wechat.apps).toEqual([{ key: "web", appId: realApp.AUTH_WECHAT_ID, secret: realApp.AUTH_WECHAT_SECRET }]);
  });

  it("refuses the emulator in production unless explicitly allowed", () => {
    const secret = { AUTH_SECRET: "x".repeat(40), NODE_ENV: "production", AUTH_URL: "https://login.example.com" };
    expect(() => parseEnv(secret)).toThrow(EnvError);
    expect(() => parseEnv({ ...secret, ...realApp, WECHAT_API_BASE_URL: "http://localhost:3100" })).toThrow(/emulator/);
    expect(() => parseEnv({ ...secret, ...realApp, WECHAT_API_BASE_URL: "https://127.0.0.1:3100" })).toThrow(/emulator/);
    expect(parseEnv({ ...secret, ...realApp }).wechat.usesEmulator).toBe(false);
    expect(parseEnv({ ...secret, ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1" }).wechat.usesEmulator).toBe(true);
  });

  it("requires AUTH_SECRET in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production", AUTH_URL: "https://login.example.com", ...realApp })).toThrow(/AUTH_SECRET/);
  });

  it("requires AUTH_URL in production, so forwarded host headers never pick our origin", () => {
    expect(() => parseEnv({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), ...realApp })).toThrow(/AUTH_URL/);
  });

  it("refuses every loopback spelling of the WeChat endpoints in production", () => {
    const production = { NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), AUTH_URL: "https://login.example.com", ...realApp };
    for (const host of ["localhost.", "LOCALHOST", "app.localhost", "127.1.2.3", "0.0.0.0", "[::1]", "[::]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"]) {
      expect(() => parseEnv({ ...production, WECHAT_API_BASE_URL: `https://${host}:3100` }), host).toThrow(/emulator/);
    }
    expect(parseEnv({ ...production, WECHAT_API_BASE_URL: "https://wechat-proxy.example.com" }).wechat.usesEmulator).toBe(false);
  });

  it("reads TRUSTED_PROXIES as a hop count or a list of addresses and ranges", () => {
    expect(parseEnv({}).trustedProxies).toEqual({ kind: "hops", hops: 0 });
    expect(parseEnv({ TRUSTED_PROXIES: "2" }).trustedProxies).toEqual({ kind: "hops", hops: 2 });
    const cidrs = parseEnv({ TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.7, fd00::/8" }).trustedProxies;
    expect(cidrs.kind === "cidrs" && cidrs.list.check("10.2.3.4", "ipv4")).toBe(true);
    expect(cidrs.kind === "cidrs" && cidrs.list.check("192.168.1.8", "ipv4")).toBe(false);
    expect(() => parseEnv({ TRUSTED_PROXIES: "10.0.0.0/33" })).toThrow(/TRUSTED_PROXIES/);
    expect(() => parseEnv({ TRUSTED_PROXIES: "proxy.example.com" })).toThrow(/TRUSTED_PROXIES/);
  });

  it("limits SMS to mainland China by default", () => {
    expect(parseEnv({}).limits.smsCountryCodes).toEqual(["86"]);
    expect(parseEnv({ SMS_COUNTRY_CODES: "+86,852" }).limits.smsCountryCodes).toEqual(["86", "852"]);
    expect(() => parseEnv({ SMS_COUNTRY_CODES: "china" })).toThrow(/SMS_COUNTRY_CODES/);
  });

  it("rejects malformed values with a message naming the variable", () => {
    expect(() => parseEnv({ AUTH_WECHAT_ID: "not-an-appid", AUTH_WECHAT_SECRET: "x" })).toThrow(/AUTH_WECHAT_ID/);
    expect(() => parseEnv({ AUTH_WECHAT_ID: realApp.AUTH_WECHAT_ID })).toThrow(/AUTH_WECHAT_SECRET/);
    expect(() => parseEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => parseEnv({ WECHAT_QR_TTL_SECONDS: "5" })).toThrow(/WECHAT_QR_TTL_SECONDS/);
  });
});

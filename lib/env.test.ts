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
    const secret = { AUTH_SECRET: "x".repeat(40), NODE_ENV: "production" };
    expect(() => parseEnv(secret)).toThrow(EnvError);
    expect(() => parseEnv({ ...secret, ...realApp, WECHAT_API_BASE_URL: "http://localhost:3100" })).toThrow(/emulator/);
    expect(() => parseEnv({ ...secret, ...realApp, WECHAT_API_BASE_URL: "https://127.0.0.1:3100" })).toThrow(/emulator/);
    expect(parseEnv({ ...secret, ...realApp }).wechat.usesEmulator).toBe(false);
    expect(parseEnv({ ...secret, ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1" }).wechat.usesEmulator).toBe(true);
  });

  it("requires AUTH_SECRET in production", () => {
    expect(() => parseEnv({ NODE_ENV: "production", ...realApp })).toThrow(/AUTH_SECRET/);
  });

  it("rejects malformed values with a message naming the variable", () => {
    expect(() => parseEnv({ AUTH_WECHAT_ID: "not-an-appid", AUTH_WECHAT_SECRET: "x" })).toThrow(/AUTH_WECHAT_ID/);
    expect(() => parseEnv({ AUTH_WECHAT_ID: realApp.AUTH_WECHAT_ID })).toThrow(/AUTH_WECHAT_SECRET/);
    expect(() => parseEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => parseEnv({ WECHAT_QR_TTL_SECONDS: "5" })).toThrow(/WECHAT_QR_TTL_SECONDS/);
  });
});

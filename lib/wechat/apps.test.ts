/** The configured website apps, looked up by key (the login page's choice) and by appid (a returned state). */
import { describe, expect, it } from "vitest";
import { DEMO_WECHAT_APPS } from "@/lib/env";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { findWechatApp, findWechatAppById, listWechatApps } from "./apps";

restoreEnvAfterEach();

describe("the website apps", () => {
  it("defaults to the first app, finds the others by key and by appid, and nothing else", () => {
    withEnv({ AUTH_WECHAT_ID: undefined, WECHAT_OA_ID: undefined });
    expect(listWechatApps().map((app) => app.key)).toEqual(["web", "web2"]);
    expect(findWechatApp(undefined)?.appId).toBe(DEMO_WECHAT_APPS.web.appId);
    expect(findWechatApp("")?.appId).toBe(DEMO_WECHAT_APPS.web.appId);
    expect(findWechatApp("web2")?.appId).toBe(DEMO_WECHAT_APPS.web2.appId);
    expect(findWechatApp("web3")).toBeUndefined();
    expect(findWechatApp("__proto__")).toBeUndefined();
    expect(findWechatAppById(DEMO_WECHAT_APPS.web2.appId)?.key).toBe("web2");
    expect(findWechatAppById("wx8e0b5c61d2a3f4a0")).toBeUndefined();
  });

  it("has only the configured app once real credentials are set, and none on an Official-Account-only site", () => {
    withEnv({ AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) });
    expect(listWechatApps()).toEqual([{ key: "web", appId: "wx0123456789abcdef", secret: "s".repeat(32) }]);
    expect(findWechatApp("web2")).toBeUndefined();
    withEnv({
      AUTH_WECHAT_ID: undefined,
      AUTH_WECHAT_SECRET: undefined,
      WECHAT_OA_ID: "wx0123456789abcde0",
      WECHAT_OA_SECRET: "s".repeat(32),
      WECHAT_OA_TOKEN: "token",
    });
    expect(findWechatApp(undefined)).toBeUndefined();
  });
});

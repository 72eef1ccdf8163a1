/** The stock Auth.js WeChat provider, kept for the benchmark, points at the configured WeChat hosts. */
import { describe, expect, it } from "vitest";
import { DEMO_WECHAT_APPS } from "@/lib/env";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { STOCK_PROVIDER_ID, stockWechatProvider } from "./stock-provider";

restoreEnvAfterEach();

describe("the stock provider", () => {
  it("uses the first website app against the configured hosts, under its own id", () => {
    withEnv({ WECHAT_EMULATOR_URL: "http://127.0.0.1:3199", AUTH_WECHAT_ID: undefined });
    const provider = stockWechatProvider();
    expect(provider.id).toBe(STOCK_PROVIDER_ID);
    expect(provider.options).toMatchObject({ clientId: DEMO_WECHAT_APPS.web.appId, platformType: "WebsiteApp" });
    expect(provider.authorization).toMatchObject({ url: "http://127.0.0.1:3199/connect/qrconnect" });
    expect(provider.token).toMatchObject({ url: "http://127.0.0.1:3199/sns/oauth2/access_token" });
    expect(provider.userinfo).toMatchObject({ url: "http://127.0.0.1:3199/sns/userinfo" });
  });
});

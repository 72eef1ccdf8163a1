import { describe, expect, it } from "vitest";
import { createRegistry, DEMO_OPEN_ACCOUNT_ID, OA_APP, openidFor, unionidFor, VIRTUAL_USERS, WEB2_APP, WEB_APP } from "./config";
import { readEmulatorOptionsFromEnv } from "./env";
import { callControl, callSns, obtainTokens, startTestEmulator } from "./test-helpers";

describe("identifiers", () => {
  it("derives 28-char o-prefixed openids that differ per app and are stable", () => {
    const web = openidFor(WEB_APP.appid, "lin");
    expect(web).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(openidFor(WEB_APP.appid, "lin")).toBe(web);
    expect(openidFor(WEB2_APP.appid, "lin")).not.toBe(web);
    expect(openidFor(WEB_APP.appid, "zhang")).not.toBe(web);
  });

  it("derives unionids per Open Platform account", () => {
    const unionid = unionidFor(DEMO_OPEN_ACCOUNT_ID, "lin");
    expect(unionid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(unionidFor("other-account", "lin")).not.toBe(unionid);
    expect(unionid).not.toBe(openidFor(WEB_APP.appid, "lin"));
  });

  it("keeps the virtual users in their documented order", () => {
    expect(VIRTUAL_USERS.map((user) => [user.id, user.nickname, user.hasUnionid, user.hasAvatar])).toEqual([
      ["lin", "林晓", true, true],
      ["zhang", "张伟", true, true],
      ["wang", "王芳", false, true],
      ["chen", "Chen Jie", false, true],
      ["li", "李娜", true, false],
    ]);
  });
});

describe("registry and env", () => {
  it("adds extra website apps to the demo account but never shadows a demo app", () => {
    const registry = createRegistry([
      { appid: "wxlocal0000000001", secret: "s3cret" },
      { appid: WEB_APP.appid, secret: "other" },
    ]);
    expect(registry.findApp("wxlocal0000000001")).toMatchObject({ type: "website", openAccountId: DEMO_OPEN_ACCOUNT_ID });
    expect(registry.findApp(WEB_APP.appid)?.secret).toBe(WEB_APP.secret);
    expect(registry.findApp(OA_APP.appid)?.type).toBe("official_account");
  });

  it("reads defaults and overrides from the environment", () => {
    expect(readEmulatorOptionsFromEnv({})).toEqual({
      port: 3100,
      host: "127.0.0.1",
      callbackDomains: ["localhost:3000"],
      qrTtlSeconds: 300,
      longPollMs: 25_000,
    });
    const options = readEmulatorOptionsFromEnv({
      EMULATOR_PORT: "4100",
      EMULATOR_HOST: "0.0.0.0",
      EMULATOR_PUBLIC_URL: "http://localhost:4100",
      EMULATOR_PHONE_URL: "http://192.168.1.5:4100",
      EMULATOR_CALLBACK_DOMAINS: " localhost:3000 , app.test ",
      EMULATOR_QR_TTL_SECONDS: "60",
      EMULATOR_LONGPOLL_MS: "1000",
      AUTH_WECHAT_ID: "wxlocal0000000001",
      AUTH_WECHAT_SECRET: "s3cret",
    });
    expect(options).toMatchObject({
      port: 4100,
      host: "0.0.0.0",
      publicUrl: "http://localhost:4100",
      phoneUrl: "http://192.168.1.5:4100",
      callbackDomains: ["localhost:3000", "app.test"],
      qrTtlSeconds: 60,
      longPollMs: 1000,
      extraApps: [{ appid: "wxlocal0000000001", secret: "s3cret" }],
    });
  });

  it("reads the Official Account push settings", () => {
    expect(
      readEmulatorOptionsFromEnv({
        EMULATOR_OA_PUSH_URL: "http://127.0.0.1:4000/api/wechat/events",
        EMULATOR_OA_PUSH_MODE: "compatible",
        EMULATOR_OA_PUSH_TOKEN: "tok123",
        EMULATOR_OA_ENCODING_AES_KEY: "B".repeat(43),
        EMULATOR_PUSH_TIMEOUT_MS: "800",
        EMULATOR_MP_API_ORIGIN: "http://localhost:3300",
      }),
    ).toMatchObject({
      oaPushUrl: "http://127.0.0.1:4000/api/wechat/events",
      oaPushMode: "compatible",
      oaPushToken: "tok123",
      oaEncodingAesKey: "B".repeat(43),
      pushTimeoutMs: 800,
      mpApiOrigin: "http://localhost:3300",
    });
    expect(() => readEmulatorOptionsFromEnv({ EMULATOR_OA_PUSH_MODE: "aes" })).toThrow(/EMULATOR_OA_PUSH_MODE/);
    expect(() => readEmulatorOptionsFromEnv({ EMULATOR_OA_ENCODING_AES_KEY: "secretish" })).toThrow(/^(?!.*secretish).*EMULATOR_OA_ENCODING_AES_KEY/);
  });

  it("rejects invalid values without echoing the secret", () => {
    expect(() => readEmulatorOptionsFromEnv({ EMULATOR_PORT: "http" })).toThrow(/EMULATOR_PORT/);
    expect(() => readEmulatorOptionsFromEnv({ EMULATOR_PUBLIC_URL: "ftp://x", AUTH_WECHAT_SECRET: "topsecret" })).toThrow(
      /^(?!.*topsecret).*EMULATOR_PUBLIC_URL/,
    );
  });

  it("serves an app registered from AUTH_WECHAT_ID end to end", async () => {
    const extra = { appid: "wxlocal0000000001", secret: "s3cret" };
    const emulator = await startTestEmulator({ extraApps: [extra] });
    try {
      const apps = await callControl<{ appid: string }[]>(emulator.url, "apps");
      expect(apps.body.map((app) => app.appid)).toContain(extra.appid);
      const tokens = await obtainTokens(emulator.url, { appid: extra.appid, secret: extra.secret, user: "zhang" });
      expect(tokens.openid).toBe(openidFor(extra.appid, "zhang"));
      expect(tokens.unionid).toBe(unionidFor(DEMO_OPEN_ACCOUNT_ID, "zhang"));
      const wrong = await callSns(emulator.url, "oauth2/access_token", {
        appid: extra.appid,
        secret: WEB_APP.secret,
        code: "x",
        grant_type: "authorization_code",
      });
      expect(wrong.body.errcode).toBe(40125);
    } finally {
      await emulator.close();
    }
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRegistry } from "@/emulator/config";
import { DEMO_WECHAT_APPS, EnvError, envVariablesSchema, parseEnv } from "./env";

const realApp = { AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) };
const production = { NODE_ENV: "production", AUTH_SECRET: "x".repeat(40), AUTH_URL: "https://login.example.com", ...realApp };

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

  it("treats an empty variable as unset", () => {
    const env = parseEnv({ WECHAT_LOGIN_SURFACES: "", BIND_MODE: "", LOG_LEVEL: " ", LIMIT_SMS_DAILY_BUDGET: "", WECHAT_QR_TTL_SECONDS: "" });
    expect([env.wechat.surfaces[0], env.bind.mode, env.logLevel, env.limits.smsDailyBudget, env.wechat.qrTtlSeconds]).toEqual([
      "website",
      "off",
      "info",
      1000,
      300,
    ]);
  });

  it("offers every configured surface on /login, in the order WECHAT_LOGIN_SURFACES gives", () => {
    expect(parseEnv({}).wechat.surfaces).toEqual(["website", "mini_program", "official_account"]);
    expect(parseEnv(realApp).wechat.surfaces).toEqual(["website"]);
    expect(parseEnv({ WECHAT_LOGIN_SURFACES: "mini_program,website" }).wechat.surfaces).toEqual(["mini_program", "website"]);
    expect(() => parseEnv({ ...realApp, WECHAT_LOGIN_SURFACES: "mini_program" })).toThrow(/offers mini_program, which has no app configured/);
    expect(() => parseEnv({ WECHAT_LOGIN_SURFACES: "qr" })).toThrow(/WECHAT_LOGIN_SURFACES/);
  });

  it("declares any number of apps of each kind in WECHAT_APPS, each with its own credentials", () => {
    const env = parseEnv({
      ...realApp,
      WECHAT_MP_ID: "wx00000000000000b0",
      WECHAT_MP_SECRET: "mp-secret",
      WECHAT_MP_ENV_VERSION: "trial",
      WECHAT_APPS: JSON.stringify([
        { kind: "website", key: "shop", appId: "wx00000000000000a1", secret: "a1" },
        { kind: "mini_program", key: "mp2", appId: "wx00000000000000b1", secret: "b1", phoneNumber: false },
        { kind: "official_account", key: "oa2", appId: "wx00000000000000c1", secret: "c1", token: "tok123" },
      ]),
    });
    expect(env.wechat.apps.map((app) => app.key)).toEqual(["web", "shop"]);
    expect(env.wechat.miniPrograms).toEqual([
      { key: "mp", appId: "wx00000000000000b0", secret: "mp-secret", page: "pages/login/login", envVersion: "trial", checkPath: false, phoneNumber: true },
      { key: "mp2", appId: "wx00000000000000b1", secret: "b1", page: "pages/login/login", envVersion: "release", checkPath: true, phoneNumber: false },
    ]);
    expect(env.wechat.officialAccounts.map((account) => account.key)).toEqual(["oa2"]);
    expect(env.wechat.surfaces).toEqual(["website", "mini_program", "official_account"]);
  });

  it("refuses malformed or clashing WECHAT_APPS, naming the entry and never a secret", () => {
    expect(errorOf({ ...realApp, WECHAT_APPS: "[{" })).toContain("WECHAT_APPS is not JSON");
    expect(errorOf({ ...realApp, WECHAT_APPS: JSON.stringify([{ kind: "mini_program", key: "m", appId: "wx1", secret: "top-secret" }]) })).toMatch(
      /WECHAT_APPS\[0\.appId\]/,
    );
    const clash = errorOf({ ...realApp, WECHAT_APPS: JSON.stringify([{ kind: "website", key: "web", appId: "wx00000000000000a1", secret: "top-secret" }]) });
    expect(clash).toContain('the key "web" is used twice');
    expect(clash).not.toContain("top-secret");
    expect(errorOf({ WECHAT_MP_ID: "wx00000000000000b0" })).toContain("WECHAT_MP_SECRET is required with WECHAT_MP_ID");
  });

  it("falls back to apps the emulator serves, with the secrets it expects", () => {
    const registry = createRegistry();
    const { apps, officialAccount, miniPrograms } = parseEnv({}).wechat;
    for (const app of [...apps, officialAccount!, ...miniPrograms]) expect(registry.findApp(app.appId)?.secret, app.appId).toBe(app.secret);
    expect(registry.findApp(officialAccount!.appId)).toMatchObject({ type: "official_account", originalId: officialAccount!.originalId });
  });

  it("names every variable at fault at once, and never a value", () => {
    const message = errorOf({ ...production, AUTH_WECHAT_SECRET: undefined, WECHAT_OA_ID: "wx0123456789abcde0", WECHAT_OA_SECRET: "oa-secret-value" });
    expect(message).toContain("AUTH_WECHAT_SECRET: AUTH_WECHAT_SECRET is required with AUTH_WECHAT_ID");
    expect(message).toContain("WECHAT_OA_TOKEN: WECHAT_OA_TOKEN is required with WECHAT_OA_ID");
    expect(message).not.toContain("oa-secret-value");
    expect(errorOf({ ...production, LOG_LEVEL: "loud" })).toMatch(/^Invalid environment: LOG_LEVEL: /);
  });

  it("requires a provider for every channel binding offers, and no outbox in production", () => {
    expect(errorOf({ ...production, BIND_MODE: "required", BIND_CHANNELS: "phone" })).toContain(
      "SMS_PROVIDER is required when BIND_MODE=required offers phone",
    );
    expect(errorOf({ ...production, BIND_MODE: "optional", EMAIL_PROVIDER: "outbox" })).toContain("EMAIL_PROVIDER=outbox is for development only");
    expect(parseEnv({ BIND_MODE: "required" }).bind).toEqual({ mode: "required", channels: ["phone", "email"], emailLink: false });
  });
});

const TENCENT = {
  SMS_PROVIDER: "tencent",
  TENCENT_SMS_SECRET_ID: "AKIDexample",
  TENCENT_SMS_SECRET_KEY: "tencent-secret-value",
  TENCENT_SMS_SDK_APP_ID: "1400006666",
  TENCENT_SMS_SIGN_NAME: "微信扫码登录",
  TENCENT_SMS_TEMPLATE_ID: "1110",
};
const ALIYUN = {
  SMS_PROVIDER: "aliyun",
  ALIYUN_SMS_ACCESS_KEY_ID: "LTAIexample",
  ALIYUN_SMS_ACCESS_KEY_SECRET: "aliyun-secret-value",
  ALIYUN_SMS_SIGN_NAME: "微信扫码登录",
  ALIYUN_SMS_TEMPLATE_CODE: "SMS_123456789",
};

function messagingOf(source: Record<string, string | undefined>) {
  return parseEnv(source).messaging;
}

function errorOf(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as Error).message;
  }
  throw new Error("expected an EnvError");
}

describe("parseEnv: telemetry", () => {
  it("is off with no endpoint, and sends to /v1/traces under the general endpoint or to the traces endpoint as given", () => {
    expect(parseEnv({}).telemetry).toMatchObject({ tracing: false, otlpTracesUrl: undefined, otlpProtocol: "http/protobuf", flushEachRequest: false });
    expect(parseEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com:4318/" }).telemetry).toMatchObject({
      tracing: true,
      otlpTracesUrl: "https://otlp.example.com:4318/v1/traces",
    });
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp.example.com", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/ingest" };
    expect(parseEnv(both).telemetry.otlpTracesUrl).toBe("https://traces.example.com/ingest");
    expect(parseEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", VERCEL: "1" }).telemetry).toMatchObject({ otlpProtocol: "http/json", flushEachRequest: true });
    expect(parseEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" }).telemetry.otlpProtocol).toBe(
      "http/protobuf",
    );
  });

  it("reads the OTLP headers as percent-encoded pairs, the traces ones winning", () => {
    const env = parseEnv({ OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc%3D,x-team=login", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-team=traces" });
    expect(env.telemetry.otlpHeaders).toEqual({ authorization: "Bearer abc=", "x-team": "traces" });
  });

  it("refuses malformed OTLP settings by name, never echoing a header's value", () => {
    for (const [variable, value] of [
      ["OTEL_EXPORTER_OTLP_HEADERS", "api-key-without-name-9f8e7d"],
      ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "key=%E0%A4%A-secret-9f8e7d"],
      ["OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"],
      ["OTEL_EXPORTER_OTLP_ENDPOINT", "otlp.example.com:4317"],
    ] as const) {
      let message = "";
      try {
        parseEnv({ [variable]: value });
      } catch (error) {
        message = error instanceof Error ? error.message : String(error);
      }
      expect(message).toContain(variable);
      expect(message).not.toContain("9f8e7d");
    }
  });
});

describe("parseEnv: messaging", () => {
  it("uses the outbox for both outside production, and nothing in production", () => {
    expect(messagingOf({})).toEqual({ sms: { provider: "outbox" }, email: { provider: "outbox" } });
    expect(messagingOf({ NODE_ENV: "test", SMS_PROVIDER: "", EMAIL_PROVIDER: " " })).toEqual({ sms: { provider: "outbox" }, email: { provider: "outbox" } });
    expect(messagingOf(production)).toEqual({ sms: undefined, email: undefined });
    // Without binding nothing is sent; refusing the outbox in production is the binding check's (and the outbox's own).
    expect(messagingOf({ ...production, SMS_PROVIDER: "outbox" }).sms).toEqual({ provider: "outbox" });
  });

  it("reads Tencent, with ap-guangzhou by default", () => {
    expect(messagingOf(TENCENT).sms).toEqual({
      provider: "tencent",
      tencent: {
        secretId: "AKIDexample",
        secretKey: "tencent-secret-value",
        region: "ap-guangzhou",
        sdkAppId: "1400006666",
        signName: "微信扫码登录",
        templateId: "1110",
      },
    });
    expect(messagingOf({ ...TENCENT, TENCENT_SMS_REGION: "ap-singapore" }).sms).toMatchObject({ tencent: { region: "ap-singapore" } });
  });

  it("reads Aliyun", () => {
    expect(messagingOf({ ...ALIYUN, ...production }).sms).toEqual({
      provider: "aliyun",
      aliyun: { accessKeyId: "LTAIexample", accessKeySecret: "aliyun-secret-value", signName: "微信扫码登录", templateCode: "SMS_123456789" },
    });
  });

  it("names every missing variable of the chosen provider, and never a value", () => {
    const tencent = errorOf({ ...TENCENT, TENCENT_SMS_SECRET_KEY: undefined, TENCENT_SMS_TEMPLATE_ID: "" });
    expect(tencent).toContain("TENCENT_SMS_SECRET_KEY is required with SMS_PROVIDER=tencent");
    expect(tencent).toContain("TENCENT_SMS_TEMPLATE_ID is required with SMS_PROVIDER=tencent");
    expect(tencent).not.toContain("AKIDexample");

    const aliyun = errorOf({ ...ALIYUN, ALIYUN_SMS_ACCESS_KEY_SECRET: undefined });
    expect(aliyun).toMatch(/ALIYUN_SMS_ACCESS_KEY_SECRET: ALIYUN_SMS_ACCESS_KEY_SECRET is required with SMS_PROVIDER=aliyun/);
    expect(aliyun).not.toContain("LTAIexample");

    expect(errorOf({ SMS_PROVIDER: "twilio" })).toContain("SMS_PROVIDER is outbox, tencent or aliyun");
    expect(errorOf({ ...TENCENT, TENCENT_SMS_SDK_APP_ID: "app-1" })).toContain("TENCENT_SMS_SDK_APP_ID");
  });

  it("reads SMTP, with the port and TLS following each other", () => {
    const base = { EMAIL_PROVIDER: "smtp", SMTP_HOST: "smtp.example.com", EMAIL_FROM: "微信扫码登录 <no-reply@example.com>" };
    expect(messagingOf(base).email).toEqual({
      provider: "smtp",
      smtp: { host: "smtp.example.com", port: 587, secure: false, from: "微信扫码登录 <no-reply@example.com>" },
    });
    expect(messagingOf({ ...base, SMTP_PORT: "465" }).email).toMatchObject({ smtp: { port: 465, secure: true } });
    expect(messagingOf({ ...base, SMTP_SECURE: "true" }).email).toMatchObject({ smtp: { port: 465, secure: true } });
    expect(messagingOf({ ...base, SMTP_PORT: "2525", SMTP_SECURE: "false" }).email).toMatchObject({ smtp: { port: 2525, secure: false } });
    expect(messagingOf({ ...base, SMTP_USER: "mailer", SMTP_PASS: " spaced pass " }).email).toMatchObject({ smtp: { user: "mailer", pass: " spaced pass " } });
  });

  it("refuses incomplete or malformed SMTP settings by name", () => {
    expect(errorOf({ EMAIL_PROVIDER: "smtp" })).toMatch(/SMTP_HOST is required with EMAIL_PROVIDER=smtp.*EMAIL_FROM is required with EMAIL_PROVIDER=smtp/);
    const base = { EMAIL_PROVIDER: "smtp", SMTP_HOST: "smtp.example.com", EMAIL_FROM: "no-reply@example.com" };
    expect(errorOf({ ...base, SMTP_USER: "mailer" })).toContain("SMTP_PASS is required with SMTP_USER");
    expect(errorOf({ ...base, SMTP_PASS: "hunter2" })).toContain("SMTP_USER is required with SMTP_PASS");
    expect(errorOf({ ...base, SMTP_PASS: "hunter2" })).not.toContain("hunter2");
    expect(errorOf({ ...base, SMTP_SECURE: "ture" })).toContain("SMTP_SECURE is true or false");
    expect(errorOf({ ...base, SMTP_PORT: "99999" })).toContain("SMTP_PORT");
    expect(errorOf({ ...base, SMTP_PORT: "smtp" })).toContain("SMTP_PORT is a port number");
    expect(errorOf({ ...base, EMAIL_FROM: "not an address" })).toContain("EMAIL_FROM");
    expect(errorOf({ ...base, EMAIL_PROVIDER: "sendgrid" })).toContain("EMAIL_PROVIDER is outbox or smtp");
  });

  it("reads the messaging variables in the one schema", () => {
    expect(Object.keys(envVariablesSchema.shape)).toEqual(
      expect.arrayContaining([
        "SMS_PROVIDER",
        "TENCENT_SMS_REGION",
        "ALIYUN_SMS_TEMPLATE_CODE",
        "EMAIL_PROVIDER",
        "SMTP_HOST",
        "SMTP_PORT",
        "SMTP_SECURE",
        "SMTP_USER",
        "SMTP_PASS",
        "EMAIL_FROM",
      ]),
    );
  });
});

describe("documentation of the variables", () => {
  // Set by `next dev` / `next build` / `next start` and the test runner, never by whoever deploys.
  const SET_BY_THE_RUNTIME = ["NODE_ENV"];
  const variables = Object.keys(envVariablesSchema.shape)
    .filter((name) => !SET_BY_THE_RUNTIME.includes(name))
    .sort();

  const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
  const exampleValues = [...example.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/gm)].map((match) => [match[1], match[2]] as const);

  it(".env.example lists every variable of the schema once, and no other", () => {
    expect(exampleValues.map(([name]) => name).sort()).toEqual(variables);
  });

  it(".env.example, copied as it is, is a valid development environment", () => {
    // An empty value means "unset", so that the copy runs on the emulator's demo apps.
    expect(parseEnv(Object.fromEntries(exampleValues)).wechat.usesEmulator).toBe(true);
  });

  it("README's configuration table has a row for every variable of the schema, and no other", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const start = readme.indexOf("\n## Configuration\n");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
    const rows = section.split("\n").filter((line) => line.startsWith("| `"));
    const firstColumn = rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map((match) => match[1]));
    expect(firstColumn.sort()).toEqual(variables);
    // Variables named anywhere in the table are ones the schema knows.
    const mentioned = rows.flatMap((row) => [...row.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)].map((match) => match[1]));
    for (const name of mentioned) expect(Object.keys(envVariablesSchema.shape), name).toContain(name);
  });
});

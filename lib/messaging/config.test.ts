import { describe, expect, it } from "vitest";
import { MessagingConfigError, messagingEnvSchema, readMessagingConfig } from "./config";

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

function errorOf(source: Record<string, string | undefined>): string {
  try {
    readMessagingConfig(source);
  } catch (error) {
    expect(error).toBeInstanceOf(MessagingConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a MessagingConfigError");
}

describe("readMessagingConfig", () => {
  it("uses the outbox for both outside production, and nothing in production", () => {
    expect(readMessagingConfig({})).toEqual({ sms: { provider: "outbox" }, email: { provider: "outbox" } });
    expect(readMessagingConfig({ NODE_ENV: "test", SMS_PROVIDER: "", EMAIL_PROVIDER: " " })).toEqual({ sms: { provider: "outbox" }, email: { provider: "outbox" } });
    expect(readMessagingConfig({ NODE_ENV: "production" })).toEqual({ sms: undefined, email: undefined });
    // Parsing only: refusing the outbox in production is lib/env.ts's policy (and the outbox's own).
    expect(readMessagingConfig({ NODE_ENV: "production", SMS_PROVIDER: "outbox" }).sms).toEqual({ provider: "outbox" });
  });

  it("reads Tencent, with ap-guangzhou by default", () => {
    expect(readMessagingConfig(TENCENT).sms).toEqual({
      provider: "tencent",
      tencent: { secretId: "AKIDexample", secretKey: "tencent-secret-value", region: "ap-guangzhou", sdkAppId: "1400006666", signName: "微信扫码登录", templateId: "1110" },
    });
    expect(readMessagingConfig({ ...TENCENT, TENCENT_SMS_REGION: "ap-singapore" }).sms).toMatchObject({ tencent: { region: "ap-singapore" } });
  });

  it("reads Aliyun", () => {
    expect(readMessagingConfig({ ...ALIYUN, NODE_ENV: "production" }).sms).toEqual({
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
    expect(readMessagingConfig(base).email).toEqual({ provider: "smtp", smtp: { host: "smtp.example.com", port: 587, secure: false, from: "微信扫码登录 <no-reply@example.com>" } });
    expect(readMessagingConfig({ ...base, SMTP_PORT: "465" }).email).toMatchObject({ smtp: { port: 465, secure: true } });
    expect(readMessagingConfig({ ...base, SMTP_SECURE: "true" }).email).toMatchObject({ smtp: { port: 465, secure: true } });
    expect(readMessagingConfig({ ...base, SMTP_PORT: "2525", SMTP_SECURE: "false" }).email).toMatchObject({ smtp: { port: 2525, secure: false } });
    expect(readMessagingConfig({ ...base, SMTP_USER: "mailer", SMTP_PASS: " spaced pass " }).email).toMatchObject({ smtp: { user: "mailer", pass: " spaced pass " } });
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

  it("exposes the raw variables for lib/env.ts to merge", () => {
    expect(Object.keys(messagingEnvSchema.shape)).toEqual(
      expect.arrayContaining(["SMS_PROVIDER", "TENCENT_SMS_REGION", "ALIYUN_SMS_TEMPLATE_CODE", "EMAIL_PROVIDER", "SMTP_HOST", "SMTP_PORT", "SMTP_SECURE", "SMTP_USER", "SMTP_PASS", "EMAIL_FROM"]),
    );
  });
});

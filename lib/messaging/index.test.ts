import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEnv } from "@/lib/env";
import { startSmtpSink, type SmtpSink } from "@/lib/test/smtp-sink";
import { MessagingError, createEmailSender, createSmsSender, renderCodeEmail } from "./index";
import { maskRecipient, safeDetail } from "./errors";

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

function messagingOf(source: Record<string, string | undefined>) {
  return parseEnv(source).messaging;
}

function captureLogs(): { lines: string[]; entries(): Record<string, unknown>[] } {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  return { lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("messaging factory", () => {
  it("sends email through SMTP as configured by the environment, and logs it without the content", async () => {
    const logs = captureLogs();
    const config = messagingOf({
      EMAIL_PROVIDER: "smtp",
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      SMTP_SECURE: "false",
      EMAIL_FROM: "微信扫码登录 <no-reply@example.test>",
    });
    const sender = createEmailSender(config);
    expect(sender.kind).toBe("smtp");
    await sender.send({ to: "zhang.wei@example.test", ...renderCodeEmail({ code: "864209", ttlMinutes: 5, locale: "zh-CN" }) });

    const mail = await sink.waitForMessage("zhang.wei@example.test", 5000);
    expect(mail.text).toContain("864209");
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: "info", event: "messaging.sent", channel: "email", provider: "smtp", to: "z***@example.test" }),
    );
    expect(logs.lines.join("\n")).not.toMatch(/864209|zhang\.wei|验证码/);
  });

  it("logs a failure with its code and safe detail, and throws it", async () => {
    const logs = captureLogs();
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const sender = createEmailSender({
      sms: undefined,
      email: { provider: "smtp", smtp: { host: "127.0.0.1", port, secure: false, user: "mailer", pass: "hunter2-secret", from: "no-reply@example.test" } },
    });

    await expect(sender.send({ to: "wang@example.test", subject: "s", text: "code 135790" })).rejects.toMatchObject({ code: "unavailable" });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ level: "error", event: "messaging.failed", provider: "smtp", code: "unavailable", to: "w***@example.test" }),
    );
    expect(logs.lines.join("\n")).not.toMatch(/hunter2|135790/);
  });

  it("creates Tencent and Aliyun senders without loading their SDKs", () => {
    const tencent = createSmsSender(
      messagingOf({
        SMS_PROVIDER: "tencent",
        TENCENT_SMS_SECRET_ID: "id",
        TENCENT_SMS_SECRET_KEY: "key",
        TENCENT_SMS_SDK_APP_ID: "1400006666",
        TENCENT_SMS_SIGN_NAME: "sign",
        TENCENT_SMS_TEMPLATE_ID: "1110",
      }),
    );
    expect(tencent.kind).toBe("tencent");
    const aliyun = createSmsSender(
      messagingOf({
        SMS_PROVIDER: "aliyun",
        ALIYUN_SMS_ACCESS_KEY_ID: "id",
        ALIYUN_SMS_ACCESS_KEY_SECRET: "secret",
        ALIYUN_SMS_SIGN_NAME: "sign",
        ALIYUN_SMS_TEMPLATE_CODE: "SMS_1",
      }),
    );
    expect(aliyun.kind).toBe("aliyun");
  });

  it("refuses to create a sender when production has no provider", () => {
    const config = messagingOf({
      NODE_ENV: "production",
      AUTH_SECRET: "x".repeat(40),
      AUTH_URL: "https://login.example.com",
      AUTH_WECHAT_ID: "wx0123456789abcdef",
      AUTH_WECHAT_SECRET: "s".repeat(32),
    });
    expect(() => createSmsSender(config)).toThrow(MessagingError);
    expect(() => createSmsSender(config)).toThrow(/SMS_PROVIDER/);
    expect(() => createEmailSender(config)).toThrow(/EMAIL_PROVIDER/);
  });
});

describe("log helpers", () => {
  it("masks recipients", () => {
    expect(maskRecipient("+8613800138000")).toBe("+86138****8000");
    expect(maskRecipient("lin@example.com")).toBe("l***@example.com");
    expect(maskRecipient("+1234")).toBe("****");
  });

  it("redacts secrets, flattens lines and bounds the length", () => {
    expect(safeDetail("code 123456 rejected\r\nnext", ["123456", undefined])).toBe("code [redacted] rejected next");
    expect(safeDetail("x".repeat(1000))).toHaveLength(301);
  });
});

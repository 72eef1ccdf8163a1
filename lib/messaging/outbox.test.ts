import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { reloadEnv } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { MessagingError } from "./errors";
import { createSmsSender } from "./index";
import { createOutboxEmailSender, createOutboxSmsSender, latestOutboxMessage, listOutbox } from "./outbox";

/** Runs `body` with these variables set (undefined: unset), then puts the environment back. */
async function withEnv(variables: Record<string, string | undefined>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    reloadEnv();
  };
  apply(variables);
  try {
    await body();
  } finally {
    apply(saved);
  }
}

describe.each(testDatabases())("development outbox on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.outboxMessage.deleteMany();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("stores an SMS as the text the user would read", async () => {
    const sender = createOutboxSmsSender();
    expect(sender.kind).toBe("outbox");
    await sender.sendCode({ to: "+8613800138000", code: "123456", ttlMinutes: 5, locale: "zh-CN" });
    await sender.sendCode({ to: "+16502530000", code: "654321", ttlMinutes: 5, locale: "en" });

    expect(await latestOutboxMessage("+8613800138000")).toMatchObject({
      channel: "sms",
      to: "+8613800138000",
      subject: null,
      body: "【微信扫码登录】验证码 123456，5 分钟内有效。",
    });
    expect((await latestOutboxMessage("+16502530000"))?.body).toBe("[Sign in with WeChat] Your verification code is 654321. It expires in 5 minutes.");
    expect(await latestOutboxMessage("+8613900139000")).toBeUndefined();
  });

  it("stores an email's subject and text under its lower-cased address", async () => {
    await createOutboxEmailSender().send({ to: "Chen.Jie@Example.test", subject: "【微信扫码登录】邮箱验证码", text: "验证码 246810", html: "<p>246810</p>" });
    const latest = await latestOutboxMessage("chen.jie@example.TEST");
    expect(latest).toMatchObject({ channel: "email", to: "chen.jie@example.test", subject: "【微信扫码登录】邮箱验证码", body: "验证码 246810" });
    expect(latest?.createdAt).toBeInstanceOf(Date);
  });

  it("lists the newest first, for one recipient or all, within the limit", async () => {
    const sms = createOutboxSmsSender();
    for (const code of ["111111", "222222", "333333"]) await sms.sendCode({ to: "+8613800138000", code, ttlMinutes: 5, locale: "zh-CN" });
    await createOutboxEmailSender().send({ to: "lin@example.test", subject: "s", text: "444444" });

    expect((await listOutbox({ to: "+8613800138000", limit: 10 })).map((entry) => entry.body.match(/\d{6}/)?.[0])).toEqual(["333333", "222222", "111111"]);
    expect((await latestOutboxMessage("+8613800138000"))?.body).toContain("333333");
    expect((await listOutbox({ limit: 2 })).map((entry) => entry.to)).toEqual(["lin@example.test", "+8613800138000"]);
    expect(await listOutbox({ limit: 0 })).toHaveLength(1);
  });

  it("goes through the factory with one log line that holds neither the code nor the number", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const sender = createSmsSender({ sms: { provider: "outbox" }, email: { provider: "outbox" } });
    expect(sender.kind).toBe("outbox");
    await sender.sendCode({ to: "+8613800138000", code: "975310", ttlMinutes: 5, locale: "zh-CN" });

    const sent = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.event === "messaging.sent");
    expect(sent).toMatchObject({ channel: "sms", provider: "outbox", to: "+86138****8000" });
    expect(lines.join("\n")).not.toMatch(/975310|13800138000/);
    expect((await latestOutboxMessage("+8613800138000"))?.body).toContain("975310");
  });

  it("refuses to work in production", async () => {
    const created = createOutboxSmsSender();
    await withEnv(
      {
        NODE_ENV: "production",
        AUTH_SECRET: "a".repeat(40),
        AUTH_URL: "https://login.example.com",
        AUTH_WECHAT_ID: "wx0123456789abcdef",
        AUTH_WECHAT_SECRET: "b".repeat(32),
        ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: undefined,
      },
      async () => {
        expect(() => createOutboxSmsSender()).toThrow(MessagingError);
        expect(() => createOutboxEmailSender()).toThrow(/disabled in production/);
        expect(() => createSmsSender({ sms: { provider: "outbox" }, email: undefined })).toThrow(MessagingError);
        // A sender made earlier stops too.
        await expect(created.sendCode({ to: "+8613800138000", code: "123456", ttlMinutes: 5, locale: "zh-CN" })).rejects.toMatchObject({
          code: "misconfigured",
        });
        await expect(listOutbox({ limit: 10 })).rejects.toMatchObject({ code: "misconfigured" });
        await expect(latestOutboxMessage("+8613800138000")).rejects.toMatchObject({ code: "misconfigured" });
      },
    );
    const prisma = await db();
    expect(await prisma.outboxMessage.count()).toBe(0);
  });

  it("stays off in a production build even when the emulator is allowed there", async () => {
    await withEnv(
      { NODE_ENV: "production", AUTH_SECRET: "a".repeat(40), AUTH_URL: "https://login.example.com", ALLOW_WECHAT_EMULATOR_IN_PRODUCTION: "1" },
      async () => {
        expect(() => createSmsSender({ sms: { provider: "outbox" }, email: undefined })).toThrow(/disabled in production/);
        await expect(latestOutboxMessage("+8613800138000")).rejects.toMatchObject({ code: "misconfigured" });
      },
    );
    expect(await (await db()).outboxMessage.count({ where: { body: { contains: "123456" } } })).toBe(0);
  });
});

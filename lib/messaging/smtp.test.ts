/**
 * The SMTP sender against a real SMTP server (the sink, smtp-server on a free port): the message
 * crosses a real SMTP conversation, and the test reads the raw bytes that arrived.
 */
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSmtpSink, type SmtpSink } from "@/lib/test/smtp-sink";
import type { SmtpConfig } from "./config";
import { MessagingError } from "./errors";
import { createSmtpEmailSender, toMessagingError } from "./smtp";
import { renderCodeEmail } from "./templates";

const FROM = "微信扫码登录 <no-reply@example.test>";

let sink: SmtpSink;

function config(overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  return { host: "127.0.0.1", port: sink.port, secure: false, from: FROM, ...overrides };
}

async function sendExpectingError(send: () => Promise<void>): Promise<MessagingError> {
  const error = await send().then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(MessagingError);
  return error as MessagingError;
}

beforeAll(async () => {
  sink = await startSmtpSink({ rejectRecipient: (address) => address.startsWith("bounce@") });
});

afterAll(async () => {
  await sink.close();
});

afterEach(() => {
  sink.clear();
});

describe("SMTP email sender", () => {
  it("delivers the code email over SMTP with From, To, a UTF-8 subject, the text and the HTML intact", async () => {
    const email = renderCodeEmail({ code: "503817", ttlMinutes: 5, link: "https://login.example.test/bind/email?token=a1&x=<b>", locale: "zh-CN" });
    const sender = createSmtpEmailSender(config());
    expect(sender.kind).toBe("smtp");
    await sender.send({ to: "chen.jie@example.test", ...email });

    const mail = await sink.waitForMessage("chen.jie@example.test", 5000);
    expect(mail.envelope).toEqual({ from: "no-reply@example.test", to: ["chen.jie@example.test"] });
    // The raw message: headers as sent, Chinese encoded per RFC 2047 and the body declared UTF-8.
    expect(mail.raw).toMatch(/^To: chen\.jie@example\.test\r$/m);
    expect(mail.raw).toMatch(/^From: =\?UTF-8\?[BQ]\?.+\?= <no-reply@example\.test>\r$/m);
    expect(mail.raw).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m);
    expect(mail.raw).toMatch(/^Content-Type: text\/plain; charset=utf-8\r$/m);
    expect(mail.raw).toMatch(/^Content-Type: text\/html; charset=utf-8\r$/m);
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated\r$/m);
    // The subject's encoded words, decoded here without the sink's parser.
    const subjectLine = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(mail.raw)?.[1] ?? "";
    const words = [...subjectLine.matchAll(/=\?UTF-8\?B\?([^?]*)\?=/g)].map((word) => Buffer.from(word[1]!, "base64"));
    expect(Buffer.concat(words).toString("utf8")).toBe("【微信扫码登录】邮箱验证码");
    // Decoded: the same strings that went in.
    expect(mail.from).toBe(FROM);
    expect(mail.to).toBe("chen.jie@example.test");
    expect(mail.subject).toBe("【微信扫码登录】邮箱验证码");
    expect(mail.text).toBe(email.text);
    expect(mail.text).toContain("503817");
    expect(mail.text).toContain("验证码 5 分钟内有效");
    expect(mail.html).toBe(email.html);
    expect(mail.html).toContain('href="https://login.example.test/bind/email?token=a1&#38;x=&#60;b&#62;"');
  });

  it("logs in when a user is configured", async () => {
    const guarded = await startSmtpSink({ users: { mailer: "pa55 word" } });
    try {
      const sender = createSmtpEmailSender({ ...config(), port: guarded.port, user: "mailer", pass: "pa55 word" });
      await sender.send({ to: "lin@example.test", subject: "Hello", text: "Your verification code is 111222." });
      const mail = await guarded.waitForMessage("LIN@example.test", 5000);
      expect(mail.user).toBe("mailer");
      expect(mail.subject).toBe("Hello");
      expect(mail.text).toBe("Your verification code is 111222.\n");

      const wrong = createSmtpEmailSender({ ...config(), port: guarded.port, user: "mailer", pass: "wrong" });
      const error = await sendExpectingError(() => wrong.send({ to: "lin@example.test", subject: "Hello", text: "x" }));
      expect(error).toMatchObject({ code: "misconfigured", providerCode: "EAUTH" });
      expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(/pa55|wrong/);
    } finally {
      await guarded.close();
    }
  });

  it("maps a recipient the server refuses (550) to rejected / invalid_recipient", async () => {
    const error = await sendExpectingError(() => createSmtpEmailSender(config()).send({ to: "bounce@example.test", subject: "s", text: "t" }));
    expect(error).toMatchObject({ code: "rejected", reason: "invalid_recipient", providerCode: "EENVELOPE" });
    expect(error.detail).toContain("550");
  });

  it("refuses a recipient that is not one plain address, without connecting", async () => {
    for (const to of ["a@example.test, b@example.test", "Name <a@example.test>", "a@example.test\r\nBcc: b@example.test", "nobody"]) {
      const error = await sendExpectingError(() => createSmtpEmailSender(config()).send({ to, subject: "s", text: "t" }));
      expect(error).toMatchObject({ code: "rejected", reason: "invalid_recipient" });
    }
    expect(sink.messages).toHaveLength(0);
  });

  it("maps a refused connection and a server that never greets to unavailable, within the timeout", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await sendExpectingError(() =>
      createSmtpEmailSender(config({ port: closedPort }), { timeoutMs: 500 }).send({ to: "a@example.test", subject: "s", text: "t" }),
    );
    expect(refused.code).toBe("unavailable");

    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const startedAt = Date.now();
      const error = await sendExpectingError(() =>
        createSmtpEmailSender(config({ port: (silent.address() as net.AddressInfo).port }), { timeoutMs: 300 }).send({
          to: "a@example.test",
          subject: "s",
          text: "t",
        }),
      );
      expect(error).toMatchObject({ code: "unavailable", providerCode: "ETIMEDOUT" });
      expect(Date.now() - startedAt).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("maps nodemailer's error codes", () => {
    const failure = (code: string, responseCode?: number, command?: string) => Object.assign(new Error("x"), { code, responseCode, command });
    expect(toMessagingError(failure("ETLS")).code).toBe("misconfigured");
    expect(toMessagingError(failure("EENVELOPE", 452, "RCPT TO")).code).toBe("unavailable");
    expect(toMessagingError(failure("EENVELOPE", 553, "MAIL FROM")).code).toBe("misconfigured");
    expect(toMessagingError(failure("EMESSAGE", 554, "DATA"))).toMatchObject({ code: "rejected" });
    expect(toMessagingError(failure("EMESSAGE", 451, "DATA")).code).toBe("unavailable");
    expect(toMessagingError(failure("ECONNECTION")).code).toBe("unavailable");
    const quoting = toMessagingError(Object.assign(new Error("x"), { code: "EAUTH", response: "535 bad password hunter22" }), ["hunter22"]);
    expect(quoting.detail).not.toContain("hunter22");
  });
});

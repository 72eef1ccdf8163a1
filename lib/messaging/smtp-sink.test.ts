import net from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHeaderValue, parseMail } from "./mail-parser";
import { startSmtpSink, type SmtpSink } from "./smtp-sink";

describe("SMTP sink", () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  function send(to: string, subject: string) {
    return nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false }).sendMail({ from: "a@example.test", to, subject, text: subject });
  }

  it("hands each message to one wait, oldest first, and waits for one not yet there", async () => {
    await send("wang@example.test", "first");
    await send("wang@example.test", "second");
    expect((await sink.waitForMessage("wang@example.test", 1000)).subject).toBe("first");
    expect((await sink.waitForMessage("WANG@example.test", 1000)).subject).toBe("second");

    const later = sink.waitForMessage("wang@example.test", 5000);
    await send("other@example.test", "not for wang");
    await send("wang@example.test", "third");
    expect((await later).subject).toBe("third");
    expect(sink.messages.map((message) => message.subject)).toEqual(["first", "second", "not for wang", "third"]);
  });

  it("gives up after the timeout", async () => {
    await expect(sink.waitForMessage("nobody@example.test", 100)).rejects.toThrow(/No mail to nobody@example.test/);
  });

  it("listens on a fixed port when asked", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const fixed = await startSmtpSink({ port });
    expect(fixed.port).toBe(port);
    await fixed.close();
  });
});

describe("mail parser", () => {
  it("reads a multipart message with folded encoded words, quoted-printable and base64", () => {
    const raw = [
      "From: =?UTF-8?B?5b6u5L+h5omr56CB?=",
      " =?UTF-8?B?55m75b2V?= <no-reply@example.test>",
      "To: chen@example.test",
      "Subject: =?UTF-8?Q?=E9=AA=8C=E8=AF=81=E7=A0=81_code?=",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="--b1"',
      "",
      "----b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "=E9=AA=8C=E8=AF=81=E7=A0=81 123456=",
      "=EF=BC=8C5 =E5=88=86=E9=92=9F",
      "----b1",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("<p>验证码 <b>123456</b></p>").toString("base64"),
      "----b1--",
      "",
    ].join("\r\n");
    const mail = parseMail(Buffer.from(raw, "latin1"));
    expect(mail.from).toBe("微信扫码登录 <no-reply@example.test>");
    expect(mail.to).toBe("chen@example.test");
    expect(mail.subject).toBe("验证码 code");
    expect(mail.text).toBe("验证码 123456，5 分钟");
    expect(mail.html).toBe("<p>验证码 <b>123456</b></p>");
    expect(mail.headers["mime-version"]).toBe("1.0");
  });

  it("reads a single 8-bit part and a character split across two encoded words", () => {
    const mail = parseMail(Buffer.from("Subject: 你好\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n中文正文\r\n", "utf8"));
    expect(mail.subject).toBe("你好");
    expect(mail.text).toBe("中文正文\n");
    expect(mail.html).toBeUndefined();
    const bytes = Buffer.from("码", "utf8");
    const split = `=?UTF-8?B?${bytes.subarray(0, 1).toString("base64")}?= =?UTF-8?B?${bytes.subarray(1).toString("base64")}?=`;
    expect(decodeHeaderValue(split)).toBe("码");
    expect(decodeHeaderValue("plain =?ISO-8859-1?Q?caf=E9?= end")).toBe("plain café end");
  });
});

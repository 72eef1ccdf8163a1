import net from "node:net";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe("what the sink reads from a message", () => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
  });

  /** Sends `raw` as it is, so the test controls every header and encoding. */
  async function receive(to: string, lines: string[]) {
    const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false });
    await transport.sendMail({ envelope: { from: "no-reply@example.test", to }, raw: Buffer.from(lines.join("\r\n"), "utf8") });
    return sink.waitForMessage(to, 1000);
  }

  const LINK = "http://localhost:3304/bind/verify?token=Qx7dLr2Vn0bYcA9kTt4WmE5uHs8JpZ1fGo3iKw6aRyB";

  it("reads a multipart verification mail: folded encoded words, quoted-printable text, base64 html", async () => {
    const html = `<p>验证码 <b>123456</b></p><p><a href="${LINK}&amp;lang=zh">绑定邮箱</a></p>`;
    // Quoted-printable, wrapped with soft breaks the way mailers do, one inside the link.
    const text = [
      "=E9=AA=8C=E8=AF=81=E7=A0=81 123456=EF=BC=8C5 =E5=88=86=E9=92=9F=E5=86=85=E6=9C=89=E6=95=88",
      `${LINK.slice(0, 30)}=`,
      `${LINK.slice(30).replace("=", "=3D")}`,
    ];
    const mail = await receive("chen.jie@example.test", [
      "From: =?UTF-8?B?5b6u5L+h5omr56CB?=",
      " =?UTF-8?B?55m75b2V?= <no-reply@example.test>",
      "To: chen.jie@example.test",
      "Subject: =?UTF-8?Q?=E3=80=90=E5=BE=AE=E4=BF=A1=E6=89=AB=E7=A0=81=E7=99=BB=E5=BD=95=E3=80=91?=",
      " =?UTF-8?Q?=E9=82=AE=E7=AE=B1=E9=AA=8C=E8=AF=81=E7=A0=81?=",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="--b1"',
      "",
      "----b1",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      ...text,
      "----b1",
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      ...(Buffer.from(html)
        .toString("base64")
        .match(/.{1,76}/g) ?? []),
      "----b1--",
      "",
    ]);
    expect(mail.from).toBe("微信扫码登录 <no-reply@example.test>");
    expect(mail.to).toBe("chen.jie@example.test");
    expect(mail.subject).toBe("【微信扫码登录】邮箱验证码");
    expect(mail.text).toBe(`验证码 123456，5 分钟内有效\n${LINK}`);
    expect(/\b(\d{6})\b/.exec(mail.text)?.[1]).toBe("123456");
    expect(mail.html).toBe(html);
  });

  it("reads a single 8-bit part, a character split across two encoded words, and other charsets", async () => {
    const bytes = Buffer.from("码", "utf8");
    const split = `=?UTF-8?B?${bytes.subarray(0, 1).toString("base64")}?= =?UTF-8?B?${bytes.subarray(1).toString("base64")}?=`;
    const mail = await receive("cafe@example.test", [
      "From: no-reply@example.test",
      "To: =?ISO-8859-1?Q?Caf=E9?= <cafe@example.test>",
      `Subject: 你好 ${split}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
      "",
      `中文正文 654321 ${LINK}`,
      "",
    ]);
    expect(mail.from).toBe("no-reply@example.test");
    expect(mail.to).toBe("Café <cafe@example.test>");
    expect(mail.subject).toBe("你好 码");
    expect(mail.text).toBe(`中文正文 654321 ${LINK}\n`);
    expect(mail.html).toBeUndefined();
  });
});

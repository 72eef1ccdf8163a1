import { describe, expect, it } from "vitest";
import { renderCodeEmail, renderCodeSms, renderContactMovedEmail, renderContactMovedSms } from "./templates";

describe("code message texts", () => {
  it("renders the SMS in both languages", () => {
    expect(renderCodeSms({ code: "123456", ttlMinutes: 5, locale: "zh-CN" })).toBe("【微信扫码登录】验证码 123456，5 分钟内有效。");
    expect(renderCodeSms({ code: "123456", ttlMinutes: 5, locale: "en" })).toBe(
      "[Sign in with WeChat] Your verification code is 123456. It expires in 5 minutes.",
    );
    expect(renderCodeSms({ code: "123456", ttlMinutes: 1, locale: "en" })).toContain("1 minute.");
  });

  it("renders the email in zh-CN, with and without a link", () => {
    const plain = renderCodeEmail({ code: "654321", ttlMinutes: 5, locale: "zh-CN" });
    expect(plain.subject).toBe("【微信扫码登录】邮箱验证码");
    expect(plain.text).toContain("654321");
    expect(plain.text).toContain("验证码 5 分钟内有效");
    expect(plain.text).not.toContain("http");
    expect(plain.html).toContain('<html lang="zh-CN">');
    expect(plain.html).toContain(">654321</p>");
    expect(plain.html).not.toContain("<a ");

    const linked = renderCodeEmail({ code: "654321", ttlMinutes: 5, link: "https://login.example.com/bind/email?token=abc", locale: "zh-CN" });
    expect(linked.text).toContain("https://login.example.com/bind/email?token=abc");
    expect(linked.html).toContain('<a href="https://login.example.com/bind/email?token=abc"');
  });

  it("renders the email in en", () => {
    const email = renderCodeEmail({ code: "654321", ttlMinutes: 10, link: "https://login.example.com/x", locale: "en" });
    expect(email.subject).toBe("Sign in with WeChat: your email verification code");
    expect(email.text).toContain("The code expires in 10 minutes.");
    expect(email.html).toContain('<html lang="en">');
    expect(email.html).toContain("Confirm this email");
  });

  it("escapes everything it puts into the HTML", () => {
    const email = renderCodeEmail({
      code: `<img src=x onerror="alert(1)">`,
      ttlMinutes: 5,
      link: `https://x.test/?a="><script>alert(1)</script>&b='c'`,
      locale: "en",
    });
    expect(email.html).not.toMatch(/<img|<script|onerror="|'c'/);
    expect(email.html).toContain("&#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(email.html).toContain('href="https://x.test/?a=&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#38;b=&#39;c&#39;"');
  });

  it("refuses a link that is not http(s)", () => {
    expect(() => renderCodeEmail({ code: "1", ttlMinutes: 5, link: "javascript:alert(1)", locale: "en" })).toThrow(TypeError);
    expect(() => renderCodeEmail({ code: "1", ttlMinutes: 5, link: "not a url", locale: "en" })).toThrow(TypeError);
  });
});

describe("the notice that a contact moved to another WeChat account", () => {
  const at = new Date("2026-12-01T12:30:00Z");

  it("names the contact, the time (Beijing) and what to do, in both languages", () => {
    const sms = renderContactMovedSms({ channel: "phone", at, locale: "zh-CN" });
    expect(sms).toMatch(/^【微信扫码登录】你的手机号已于 .*20:30.*被另一个微信账号验证/);
    expect(sms).toContain("如果这不是你本人的操作");
    const mail = renderContactMovedEmail({ channel: "email", at, locale: "en" });
    expect(mail.subject).toContain("your email address moved to another WeChat account");
    expect(mail.text).toMatch(/verified by another WeChat account on .*8:30.*If that wasn't you/);
    expect(mail.html).toContain("If that wasn&#39;t you");
  });
});

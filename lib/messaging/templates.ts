/**
 * The texts of the code messages, in zh-CN and en. SMS through Tencent or Aliyun use the template
 * approved in their console instead; {@link renderCodeSms} is what the outbox stores and what
 * such a template should say.
 */
import type { MessageLocale } from "./types";

const PRODUCT_NAME: Record<MessageLocale, string> = { "zh-CN": "微信扫码登录", en: "Sign in with WeChat" };

export type CodeSmsInput = { code: string; ttlMinutes: number; locale: MessageLocale };

export type CodeEmailInput = {
  code: string;
  ttlMinutes: number;
  /** A one-click confirmation link; only http(s). */
  link?: string;
  locale: MessageLocale;
};

export type RenderedEmail = { subject: string; text: string; html: string };

/** `【微信扫码登录】验证码 123456，5 分钟内有效。` */
export function renderCodeSms({ code, ttlMinutes, locale }: CodeSmsInput): string {
  if (locale === "zh-CN") return `【${PRODUCT_NAME["zh-CN"]}】验证码 ${code}，${ttlMinutes} 分钟内有效。`;
  return `[${PRODUCT_NAME.en}] Your verification code is ${code}. It expires in ${minutes(ttlMinutes)}.`;
}

/** The email with a binding code (and optionally a link): subject, plain text and HTML. */
export function renderCodeEmail({ code, ttlMinutes, link, locale }: CodeEmailInput): RenderedEmail {
  if (link !== undefined) assertWebLink(link);
  const product = PRODUCT_NAME[locale];
  const words =
    locale === "zh-CN"
      ? {
          subject: `【${product}】邮箱验证码`,
          intro: "您正在绑定这个邮箱，验证码是：",
          expiry: `验证码 ${ttlMinutes} 分钟内有效，请勿告诉他人。`,
          linkIntro: "也可以点击下面的链接直接完成绑定：",
          linkLabel: "完成绑定",
          ignore: "如果这不是您本人的操作，请忽略这封邮件。",
        }
      : {
          subject: `${product}: your email verification code`,
          intro: "You are adding this email address to your account. Your verification code is:",
          expiry: `The code expires in ${minutes(ttlMinutes)}. Do not share it with anyone.`,
          linkIntro: "Or confirm with one click:",
          linkLabel: "Confirm this email",
          ignore: "If this was not you, you can ignore this email.",
        };

  const text = [
    words.intro,
    "",
    `    ${code}`,
    "",
    words.expiry,
    ...(link ? ["", words.linkIntro, link] : []),
    "",
    words.ignore,
    "",
    `— ${product}`,
    "",
  ].join("\n");

  const e = escapeHtml;
  const html = [
    "<!doctype html>",
    `<html lang="${e(locale)}"><head><meta charset="utf-8"><title>${e(words.subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f5f5;font-family:-apple-system,BlinkMacSystemFont,\'PingFang SC\',\'Microsoft YaHei\',sans-serif;color:#1f2328">',
    '<div style="max-width:480px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    `<p style="margin:0 0 16px">${e(words.intro)}</p>`,
    `<p style="margin:0 0 16px;font-size:28px;font-weight:600;letter-spacing:6px;font-family:Menlo,Consolas,monospace">${e(code)}</p>`,
    `<p style="margin:0 0 16px;color:#59636e">${e(words.expiry)}</p>`,
    ...(link
      ? [
          `<p style="margin:0 0 8px">${e(words.linkIntro)}</p>`,
          `<p style="margin:0 0 16px"><a href="${e(link)}" style="display:inline-block;padding:8px 16px;background:#07c160;color:#ffffff;border-radius:4px;text-decoration:none">${e(words.linkLabel)}</a></p>`,
          `<p style="margin:0 0 16px;font-size:12px;color:#59636e;word-break:break-all">${e(link)}</p>`,
        ]
      : []),
    `<p style="margin:0;font-size:12px;color:#59636e">${e(words.ignore)}</p>`,
    `<p style="margin:16px 0 0;font-size:12px;color:#59636e">— ${e(product)}</p>`,
    "</div></body></html>",
    "",
  ].join("\n");

  return { subject: words.subject, text, html };
}

export type ContactMovedInput = { channel: "phone" | "email"; at: Date; locale: MessageLocale };

/** When a contact moved, as the notice says it (China Standard Time); also a provider template's `${time}`. */
export function contactMovedTime(at: Date, locale: ContactMovedInput["locale"]): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" }).format(at);
}

function movedWords({ channel, at, locale }: ContactMovedInput) {
  const time = contactMovedTime(at, locale);
  if (locale === "zh-CN") {
    const what = channel === "phone" ? "手机号" : "邮箱";
    return {
      subject: `【${PRODUCT_NAME["zh-CN"]}】你的${what}已转移到另一个微信账号`,
      body: `你的${what}已于 ${time}（北京时间）被另一个微信账号验证，并已转移到该账号。你原来的账号和微信身份保持不变。如果这不是你本人的操作，请用你的微信登录，在账号页面查看记录并重新绑定，或联系网站客服。`,
    };
  }
  const what = channel === "phone" ? "phone number" : "email address";
  return {
    subject: `${PRODUCT_NAME.en}: your ${what} moved to another WeChat account`,
    body: `Your ${what} was verified by another WeChat account on ${time} (China Standard Time) and moved to it. Your own account and WeChat identity are unchanged. If that wasn't you, sign in with your WeChat, check the history on your account page and bind it again, or contact the site.`,
  };
}

/** The notice to a phone that another WeChat account just proved and took over. */
export function renderContactMovedSms(input: ContactMovedInput): string {
  const { body } = movedWords(input);
  return input.locale === "zh-CN" ? `【${PRODUCT_NAME["zh-CN"]}】${body}` : `[${PRODUCT_NAME.en}] ${body}`;
}

/** The notice to an email address that another WeChat account just proved and took over. */
export function renderContactMovedEmail(input: ContactMovedInput): RenderedEmail {
  const { subject, body } = movedWords(input);
  const product = PRODUCT_NAME[input.locale];
  const text = [body, "", `— ${product}`, ""].join("\n");
  const e = escapeHtml;
  const html = [
    "<!doctype html>",
    `<html lang="${e(input.locale)}"><head><meta charset="utf-8"><title>${e(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f5f5;font-family:-apple-system,BlinkMacSystemFont,\'PingFang SC\',\'Microsoft YaHei\',sans-serif;color:#1f2328">',
    '<div style="max-width:480px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    `<p style="margin:0 0 16px">${e(body)}</p>`,
    `<p style="margin:16px 0 0;font-size:12px;color:#59636e">— ${e(product)}</p>`,
    "</div></body></html>",
    "",
  ].join("\n");
  return { subject, text, html };
}

function minutes(count: number): string {
  return count === 1 ? "1 minute" : `${count} minutes`;
}

/** A link in a mail must not be `javascript:` or anything else a click could run. */
function assertWebLink(link: string): void {
  let protocol: string;
  try {
    protocol = new URL(link).protocol;
  } catch {
    throw new TypeError("The email link is not a URL");
  }
  if (protocol !== "https:" && protocol !== "http:") throw new TypeError("The email link must be http(s)");
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

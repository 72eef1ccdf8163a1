/**
 * The SMS and emails put together from the texts in lib/i18n (`sms.*`, `mail.*`), in zh-CN or en.
 * SMS through Tencent or Aliyun use the template approved in their console instead;
 * {@link renderCodeSms} is what the outbox stores and what such a template should say.
 */
import { formatDuration } from "@/lib/i18n/durations";
import { translator, type Locale } from "@/lib/i18n/messages";

export type CodeSmsInput = { code: string; ttlMinutes: number; locale: Locale };

export type CodeEmailInput = {
  code: string;
  ttlMinutes: number;
  /** A one-click confirmation link; only http(s). */
  link?: string;
  locale: Locale;
};

export type RenderedEmail = { subject: string; text: string; html: string };

/** `【微信扫码登录】验证码 123456，5 分钟内有效。` */
export function renderCodeSms({ code, ttlMinutes, locale }: CodeSmsInput): string {
  const t = translator(locale);
  return t("sms.signed", { product: t("app.title"), text: t("sms.code", { code, ttl: formatDuration(t, "minute", ttlMinutes) }) });
}

/** The email with a binding code (and optionally a link): subject, plain text and HTML. */
export function renderCodeEmail({ code, ttlMinutes, link, locale }: CodeEmailInput): RenderedEmail {
  if (link !== undefined) assertWebLink(link);
  const t = translator(locale);
  const product = t("app.title");
  const words = {
    subject: t("mail.code.subject", { product }),
    intro: t("mail.code.intro"),
    expiry: t("mail.code.expiry", { ttl: formatDuration(t, "minute", ttlMinutes) }),
    linkIntro: t("mail.code.linkIntro"),
    linkLabel: t("mail.code.linkLabel"),
    ignore: t("mail.code.ignore"),
  };

  const text = [words.intro, "", `    ${code}`, "", words.expiry, ...(link ? ["", words.linkIntro, link] : []), "", words.ignore, "", `— ${product}`, ""].join(
    "\n",
  );

  const e = escapeHtml;
  const html = [
    "<!doctype html>",
    `<html lang="${e(locale)}"><head><meta charset="utf-8"><title>${e(words.subject)}</title></head>`,
    "<body style=\"margin:0;padding:24px;background:#f5f5f5;font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2328\">",
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

export type ContactMovedInput = { channel: "phone" | "email"; at: Date; locale: Locale };

/** When a contact moved, as the notice says it (China Standard Time); also a provider template's `${time}`. */
export function contactMovedTime(at: Date, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" }).format(at);
}

function movedWords({ channel, at, locale }: ContactMovedInput) {
  const t = translator(locale);
  const product = t("app.title");
  const what = t(channel === "phone" ? "mail.moved.phone" : "mail.moved.email");
  return { product, subject: t("mail.moved.subject", { product, what }), body: t("mail.moved.body", { what, time: contactMovedTime(at, locale) }) };
}

/** The notice to a phone that another WeChat account just proved and took over. */
export function renderContactMovedSms(input: ContactMovedInput): string {
  const { product, body } = movedWords(input);
  return translator(input.locale)("sms.signed", { product, text: body });
}

/** The notice to an email address that another WeChat account just proved and took over. */
export function renderContactMovedEmail(input: ContactMovedInput): RenderedEmail {
  const { product, subject, body } = movedWords(input);
  const text = [body, "", `— ${product}`, ""].join("\n");
  const e = escapeHtml;
  const html = [
    "<!doctype html>",
    `<html lang="${e(input.locale)}"><head><meta charset="utf-8"><title>${e(subject)}</title></head>`,
    "<body style=\"margin:0;padding:24px;background:#f5f5f5;font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif;color:#1f2328\">",
    '<div style="max-width:480px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">',
    `<p style="margin:0 0 16px">${e(body)}</p>`,
    `<p style="margin:16px 0 0;font-size:12px;color:#59636e">— ${e(product)}</p>`,
    "</div></body></html>",
    "",
  ].join("\n");
  return { subject, text, html };
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

/**
 * The one interface the app sends codes through, whatever carries them: the development outbox,
 * SMTP, Tencent Cloud SMS or Aliyun SMS.
 */
import type { Locale } from "@/lib/i18n/messages";

export type OutgoingSms = {
  /** E.164, e.g. `+8613800138000`. */
  to: string;
  code: string;
  ttlMinutes: number;
  locale: Locale;
};

export type OutgoingEmail = { to: string; subject: string; text: string; html?: string };

/**
 * A notice by SMS (no code). The outbox shows `text`; a provider sends its approved notice
 * template with `params` (`${time}`), since Chinese SMS providers send templates only.
 */
export type OutgoingNoticeSms = { to: string; text: string; params: { time: string } };

/**
 * `sendNotice` is optional: a provider offers it only when a notice template is configured
 * (TENCENT_SMS_NOTICE_TEMPLATE_ID, ALIYUN_SMS_NOTICE_TEMPLATE_CODE); callers skip and log otherwise.
 */
export type SmsSender = { kind: string; sendCode(message: OutgoingSms): Promise<void>; sendNotice?(message: OutgoingNoticeSms): Promise<void> };

export type EmailSender = { kind: string; send(message: OutgoingEmail): Promise<void> };

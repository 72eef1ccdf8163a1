/**
 * The one interface the app sends codes through, whatever carries them: the development outbox,
 * SMTP, Tencent Cloud SMS or Aliyun SMS.
 */

export type MessageLocale = "zh-CN" | "en";

export type OutgoingSms = {
  /** E.164, e.g. `+8613800138000`. */
  to: string;
  code: string;
  ttlMinutes: number;
  locale: MessageLocale;
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

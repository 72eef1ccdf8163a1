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

export type SmsSender = { kind: string; sendCode(message: OutgoingSms): Promise<void> };

export type EmailSender = { kind: string; send(message: OutgoingEmail): Promise<void> };

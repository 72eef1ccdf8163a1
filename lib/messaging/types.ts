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

/** A free-text notice by SMS (no code). Providers need an approved template for it. */
export type OutgoingNoticeSms = { to: string; text: string };

/**
 * `sendNotice` is optional: Tencent and Aliyun only send approved templates, and this product has
 * none registered for notices yet, so only the outbox carries them (callers skip and log otherwise).
 */
export type SmsSender = { kind: string; sendCode(message: OutgoingSms): Promise<void>; sendNotice?(message: OutgoingNoticeSms): Promise<void> };

export type EmailSender = { kind: string; send(message: OutgoingEmail): Promise<void> };

/**
 * Sending codes by SMS and email: the configured provider behind one interface, with one log
 * line per message (provider, masked recipient, time, and on failure the error's safe detail).
 *
 * The SDKs load on the first message, not with this module: together they cost about half a
 * second of start-up, and a site uses one of them at most. lib/env.ts parses the configuration;
 * ./config names its parts.
 */
import "server-only";
import { logger } from "@/lib/logger";
import { countMessageSend } from "@/lib/telemetry";
import type { MessagingConfig } from "./config";
import { MessagingError, maskRecipient } from "./errors";
import { createOutboxEmailSender, createOutboxSmsSender } from "./outbox";
import type { EmailSender, OutgoingEmail, OutgoingNoticeSms, OutgoingSms, SmsSender } from "./types";

export type { EmailSender, OutgoingEmail, OutgoingNoticeSms, OutgoingSms, SmsSender } from "./types";
export { MessagingError, type MessagingErrorCode, type MessagingRejection } from "./errors";
export type { AliyunSmsConfig, EmailConfig, MessagingConfig, SmsConfig, SmtpConfig, TencentSmsConfig } from "./config";
export {
  contactMovedTime,
  renderCodeEmail,
  renderCodeSms,
  renderContactMovedEmail,
  renderContactMovedSms,
  type CodeEmailInput,
  type CodeSmsInput,
  type ContactMovedInput,
  type RenderedEmail,
} from "./templates";
export { latestOutboxMessage, listOutbox, type OutboxEntry } from "./outbox";

/** The SMS sender for `config`. Throws `misconfigured` when there is none (production without SMS_PROVIDER). */
export function createSmsSender(config: MessagingConfig): SmsSender {
  const sms = config.sms;
  if (!sms) throw new MessagingError("misconfigured", "no SMS provider: set SMS_PROVIDER");
  switch (sms.provider) {
    case "outbox":
      return withLogging(createOutboxSmsSender());
    case "tencent":
      return withLogging(
        lazySmsSender("tencent", async () => (await import("./tencent-sms")).createTencentSmsSender(sms.tencent), Boolean(sms.tencent.noticeTemplateId)),
      );
    case "aliyun":
      return withLogging(
        lazySmsSender(
          "aliyun",
          async () =>
            (await import("./aliyun-sms")).createAliyunSmsSender(sms.aliyun, sms.aliyun.testEndpoint ? { httpEndpoint: sms.aliyun.testEndpoint } : {}),
          Boolean(sms.aliyun.noticeTemplateCode),
        ),
      );
  }
}

/** The email sender for `config`. Throws `misconfigured` when there is none (production without EMAIL_PROVIDER). */
export function createEmailSender(config: MessagingConfig): EmailSender {
  const email = config.email;
  if (!email) throw new MessagingError("misconfigured", "no email provider: set EMAIL_PROVIDER");
  switch (email.provider) {
    case "outbox":
      return withEmailLogging(createOutboxEmailSender());
    case "smtp":
      return withEmailLogging(lazyEmailSender("smtp", async () => (await import("./smtp")).createSmtpEmailSender(email.smtp)));
  }
}

/** `withNotice`: whether the loaded sender will have `sendNotice` (known from the config up front). */
function lazySmsSender(kind: string, load: () => Promise<SmsSender>, withNotice = false): SmsSender {
  let loading: Promise<SmsSender> | undefined;
  const loaded = () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  return {
    kind,
    async sendCode(message) {
      await (await loaded()).sendCode(message);
    },
    ...(withNotice && {
      sendNotice: async (message: OutgoingNoticeSms) => {
        const sender = await loaded();
        if (!sender.sendNotice) throw new MessagingError("misconfigured", `${kind}: no notice template`);
        await sender.sendNotice(message);
      },
    }),
  };
}

function lazyEmailSender(kind: string, load: () => Promise<EmailSender>): EmailSender {
  let loading: Promise<EmailSender> | undefined;
  return {
    kind,
    async send(message) {
      loading ??= load().catch((error: unknown) => {
        loading = undefined;
        throw error;
      });
      await (await loading).send(message);
    },
  };
}

function withLogging(sender: SmsSender): SmsSender {
  return {
    kind: sender.kind,
    async sendCode(message: OutgoingSms) {
      await logged("sms", sender.kind, message.to, () => sender.sendCode(message));
    },
    ...(sender.sendNotice && {
      sendNotice: async (message: OutgoingNoticeSms) => {
        await logged("sms", sender.kind, message.to, () => sender.sendNotice!(message));
      },
    }),
  };
}

function withEmailLogging(sender: EmailSender): EmailSender {
  return {
    kind: sender.kind,
    async send(message: OutgoingEmail) {
      await logged("email", sender.kind, message.to, () => sender.send(message));
    },
  };
}

async function logged(channel: "sms" | "email", provider: string, to: string, send: () => Promise<void>): Promise<void> {
  const startedAt = Date.now();
  try {
    await send();
  } catch (error) {
    const failure = asMessagingError(error);
    const fields = {
      channel,
      provider,
      to: maskRecipient(to),
      ms: Date.now() - startedAt,
      code: failure.code,
      reason: failure.reason,
      providerCode: failure.providerCode,
      detail: failure.detail,
    };
    countMessageSend(channel, provider, failure.code === "rejected" ? "refused" : "error");
    if (failure.code === "rejected") logger.warn("messaging.rejected", fields);
    else logger.error("messaging.failed", fields);
    throw failure;
  }
  logger.info("messaging.sent", { channel, provider, to: maskRecipient(to), ms: Date.now() - startedAt });
  countMessageSend(channel, provider, "ok");
}

/**
 * Anything else a sender throws is a bug or an outage (a database error from the outbox). Only its
 * name and code are kept: messages of such errors (Prisma's quote the query) may hold the code.
 */
function asMessagingError(error: unknown): MessagingError {
  if (error instanceof MessagingError) return error;
  const name = error instanceof Error ? error.name : typeof error;
  const code = typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? ` ${error.code}` : "";
  return new MessagingError("unavailable", `unexpected ${name}${code}`);
}

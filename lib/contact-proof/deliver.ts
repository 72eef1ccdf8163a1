/** Sends a binding code, or the notice that a contact moved away, through lib/messaging. */
import "server-only";
import { getEnv } from "@/lib/env";
import type { Locale } from "@/lib/i18n/messages";
import { contactMovedTime, createEmailSender, createSmsSender, renderCodeEmail, renderContactMovedEmail, renderContactMovedSms } from "@/lib/messaging";
import { logger } from "@/lib/logger";
import type { Deliver, NotifyMoved } from "./codes";

type Message = Parameters<Deliver>[0];

export async function deliverBindCode(message: Message, locale: Locale): Promise<void> {
  const config = getEnv().messaging;
  if (message.channel === "phone") {
    await createSmsSender(config).sendCode({ to: message.target, code: message.code, ttlMinutes: message.ttlMinutes, locale });
    return;
  }
  const email = renderCodeEmail({ code: message.code, ttlMinutes: message.ttlMinutes, locale, ...(message.link ? { link: message.link } : {}) });
  await createEmailSender(config).send({ to: message.target, ...email });
}

/**
 * Tells the address that it was proved by another WeChat account and moved there. Best effort:
 * the move is already committed and also shows in the old account's history, so a failed notice
 * is logged, never thrown back at the person who proved the address.
 */
export function notifyContactMoved(locale: Locale): NotifyMoved {
  return async ({ channel, target, at }) => {
    const config = getEnv().messaging;
    try {
      if (channel === "phone") {
        const sender = createSmsSender(config);
        if (!sender.sendNotice) {
          logger.warn("bind.notice.unsupported", { provider: sender.kind });
          return;
        }
        await sender.sendNotice({ to: target, text: renderContactMovedSms({ channel, at, locale }), params: { time: contactMovedTime(at, locale) } });
        return;
      }
      await createEmailSender(config).send({ to: target, ...renderContactMovedEmail({ channel, at, locale }) });
    } catch (error) {
      logger.warn("bind.notice.failed", { channel, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

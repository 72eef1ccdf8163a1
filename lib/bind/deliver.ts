/** Sends a binding code through the configured SMS or email provider (lib/messaging). */
import "server-only";
import { getEnv } from "@/lib/env";
import type { Locale } from "@/lib/i18n/messages";
import { createEmailSender, createSmsSender, renderCodeEmail } from "@/lib/messaging";
import type { Deliver } from "./codes";

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

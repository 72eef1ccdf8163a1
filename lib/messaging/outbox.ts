/**
 * The development outbox: instead of leaving the machine, SMS and email land in the
 * `OutboxMessage` table, where the /dev/outbox page and the e2e tests read the codes.
 *
 * It refuses to work in production (`getEnv().devTools` is off: NODE_ENV=production without the
 * test-and-benchmark switch ALLOW_WECHAT_EMULATOR_IN_PRODUCTION), in every function and not only at
 * start-up: a site that kept real users' codes in a table the dev page shows would hand out accounts.
 */
import "server-only";
import { insertOutboxMessage, listOutboxMessages } from "@/lib/db/outbox";
import { getEnv } from "@/lib/env";
import { MessagingError } from "./errors";
import { renderCodeSms } from "./templates";
import type { EmailSender, OutgoingEmail, OutgoingNoticeSms, OutgoingSms, SmsSender } from "./types";

export type OutboxEntry = {
  id: string;
  channel: "sms" | "email";
  to: string;
  subject: string | null;
  body: string;
  createdAt: Date;
};

const MAX_LIST = 200;

function assertNotProduction(): void {
  if (!getEnv().devTools) {
    throw new MessagingError("misconfigured", "the development outbox is disabled in production; set SMS_PROVIDER / EMAIL_PROVIDER");
  }
}

// Phone numbers arrive as E.164; addresses may differ in case only.
function normalizeTo(to: string): string {
  return to.includes("@") ? to.trim().toLowerCase() : to.trim();
}

export function createOutboxSmsSender(): SmsSender {
  assertNotProduction();
  return {
    kind: "outbox",
    async sendCode(message: OutgoingSms) {
      assertNotProduction();
      await insertOutboxMessage({ channel: "sms", to: normalizeTo(message.to), body: renderCodeSms(message) });
    },
    async sendNotice(message: OutgoingNoticeSms) {
      assertNotProduction();
      await insertOutboxMessage({ channel: "sms", to: normalizeTo(message.to), body: message.text });
    },
  };
}

export function createOutboxEmailSender(): EmailSender {
  assertNotProduction();
  return {
    kind: "outbox",
    async send(message: OutgoingEmail) {
      assertNotProduction();
      // The plain-text part is what a reader of the outbox needs; the HTML is a rendering of it.
      await insertOutboxMessage({ channel: "email", to: normalizeTo(message.to), subject: message.subject, body: message.text });
    },
  };
}

/** The newest messages first, optionally for one recipient. */
export async function listOutbox({ to, limit }: { to?: string; limit: number }): Promise<OutboxEntry[]> {
  assertNotProduction();
  const rows = await listOutboxMessages(to === undefined ? undefined : normalizeTo(to), Math.max(1, Math.min(Math.trunc(limit), MAX_LIST)));
  return rows.map(toEntry);
}

/** The newest message to `to`, if any. */
export async function latestOutboxMessage(to: string): Promise<OutboxEntry | undefined> {
  const [latest] = await listOutbox({ to, limit: 1 });
  return latest;
}

function toEntry(row: { id: string; channel: string; to: string; subject: string | null; body: string; createdAt: Date }): OutboxEntry {
  return { id: row.id, channel: row.channel === "email" ? "email" : "sms", to: row.to, subject: row.subject, body: row.body, createdAt: row.createdAt };
}

/**
 * Email over SMTP with nodemailer: one connection per message (codes are rare; a pool would hold
 * sockets a mail server may drop), bounded by timeouts at each step and for the whole send.
 *
 * nodemailer's errors carry a `code` (EAUTH, ETIMEDOUT, EENVELOPE, ...) and for SMTP replies a
 * `responseCode`; {@link toMessagingError} maps them. A permanent (5xx) refusal of the recipient is
 * `rejected`; a temporary (4xx) one, greylisting or a server's rate limit, is `unavailable`.
 *
 * @see https://nodemailer.com/smtp/
 */
import "server-only";
import nodemailer from "nodemailer";
import type { SmtpConfig } from "./config";
import { MessagingError, safeDetail } from "./errors";
import type { EmailSender, OutgoingEmail } from "./types";

export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;

// One plain address: no display name, list or header-breaking characters.
const ADDRESS_PATTERN = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

export type SmtpSenderOptions = {
  /** For each step (connect, greeting, each reply); the whole send gets twice as long. */
  timeoutMs?: number;
};

export function createSmtpEmailSender(config: SmtpConfig, options: SmtpSenderOptions = {}): EmailSender {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user !== undefined && { auth: { user: config.user, pass: config.pass ?? "" } }),
    // Credentials never cross the network in clear: with a password and no implicit TLS, STARTTLS
    // is required, except to a relay on this machine.
    requireTLS: !config.secure && config.user !== undefined && !isLoopbackHost(config.host),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    // Our messages have no attachments; never let a field make nodemailer read a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    kind: "smtp",
    async send(message: OutgoingEmail) {
      if (!ADDRESS_PATTERN.test(message.to)) {
        throw new MessagingError("rejected", "smtp: the recipient is not one plain address", { reason: "invalid_recipient" });
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("send took too long"), { code: "ETIMEDOUT" })), timeoutMs * 2);
      });
      try {
        await Promise.race([
          transport.sendMail({
            from: config.from,
            to: message.to,
            subject: message.subject,
            text: message.text,
            ...(message.html !== undefined && { html: message.html }),
            headers: { "Auto-Submitted": "auto-generated" },
          }),
          deadline,
        ]);
      } catch (error) {
        throw toMessagingError(error, [config.pass, message.to]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

type NodemailerError = Error & { code?: string; responseCode?: number; command?: string; response?: string };

/** Maps a nodemailer error; `secrets` (the password, the address) are redacted from the server's reply. */
export function toMessagingError(error: unknown, secrets: (string | undefined)[] = []): MessagingError {
  const failure = (error instanceof Error ? error : new Error(String(error))) as NodemailerError;
  const code = failure.code ?? "EUNKNOWN";
  const responseCode = failure.responseCode;
  const reply = failure.response ? ` reply ${safeDetail(failure.response, secrets)}` : "";
  const detail = `smtp ${code}${failure.command ? ` at ${failure.command}` : ""}${responseCode ? ` (${responseCode})` : ""}${reply}`;
  const permanent = responseCode !== undefined && responseCode >= 500;

  switch (code) {
    case "EAUTH":
    case "ENOAUTH":
    case "EOAUTH2":
    case "ETLS":
    case "EREQUIRETLS":
    case "ECONFIG":
      return new MessagingError("misconfigured", detail, { providerCode: code });
    case "EENVELOPE":
      // Without a reply, nodemailer refused the envelope itself (no or a malformed recipient).
      if (responseCode === undefined || (permanent && failure.command === "RCPT TO")) {
        return new MessagingError("rejected", detail, { reason: "invalid_recipient", providerCode: code });
      }
      return new MessagingError(permanent ? "misconfigured" : "unavailable", detail, { providerCode: code });
    case "EMESSAGE":
      return permanent ? new MessagingError("rejected", detail, { providerCode: code }) : new MessagingError("unavailable", detail, { providerCode: code });
    default:
      return new MessagingError("unavailable", detail, { providerCode: code });
  }
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || host.startsWith("127.");
}

/**
 * One error type for every provider. `code` says what the caller can do about it:
 * `rejected` — the provider refused this message (bad number, per-recipient rate limit), so the
 * user may fix the input or wait; `unavailable` — it could not be sent now (network, timeout,
 * provider outage, out of balance), so retry later; `misconfigured` — our credentials, signature
 * or template are wrong, and only the operator can fix it.
 *
 * `detail` goes to the server log. It never holds the code, a message body, a secret or the full
 * recipient: provider texts pass through {@link safeDetail} with those values redacted.
 */

export type MessagingErrorCode = "rejected" | "unavailable" | "misconfigured";

/** Finer cause of a `rejected` error, for a precise message to the user. */
export type MessagingRejection = "rate_limited" | "invalid_recipient" | "recipient_blocked";

export class MessagingError extends Error {
  override name = "MessagingError";
  readonly reason: MessagingRejection | undefined;
  /** The provider's own error code (`LimitExceeded.PhoneNumberDailyLimit`, `EAUTH`, ...). */
  readonly providerCode: string | undefined;

  constructor(
    readonly code: MessagingErrorCode,
    readonly detail: string,
    options: { reason?: MessagingRejection; providerCode?: string } = {},
  ) {
    super(`Messaging ${code}: ${detail}`);
    this.reason = options.reason;
    this.providerCode = options.providerCode;
  }
}

const MAX_DETAIL = 300;

/**
 * A provider's text made fit for a log line: each of `secrets` (the code, a password, a key)
 * replaced, control characters flattened, and cut to a bounded length.
 */
export function safeDetail(text: string, secrets: (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) result = result.split(secret).join("[redacted]");
  }
  result = result.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return result.length > MAX_DETAIL ? `${result.slice(0, MAX_DETAIL)}…` : result;
}

/** The spellings of a phone number a provider may quote back (`+8613800138000`, `8613800138000`, `13800138000`), for {@link safeDetail}. */
export function phoneSpellings(e164: string): string[] {
  const digits = e164.replace(/^\+/, "");
  return digits.startsWith("86") ? [e164, digits, digits.slice(2)] : [e164, digits];
}

/** `+8613800138000` → `+86138****8000`; `lin@example.com` → `l***@example.com`. For logs. */
export function maskRecipient(to: string): string {
  const at = to.lastIndexOf("@");
  if (at >= 0) return `${to.slice(0, 1)}***${to.slice(at)}`;
  return to.length > 8 ? `${to.slice(0, 6)}****${to.slice(-4)}` : "****";
}

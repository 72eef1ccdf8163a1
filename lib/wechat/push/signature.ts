/**
 * The two SHA-1 signatures of WeChat's message push: `signature` over token/timestamp/nonce (URL
 * verification and every push) and `msg_signature`, which adds the `Encrypt` field in safe mode.
 *
 * @see docs/wechat-protocol.md §B3
 */
import { createHash, timingSafeEqual } from "node:crypto";

const SHA1_HEX = /^[0-9a-fA-F]{40}$/;

/**
 * SHA-1 of the parts sorted and concatenated. The sort compares UTF-8 bytes, which is the order of
 * WeChat's PHP/Python/Go samples; JavaScript's default (UTF-16 units) differs for rare characters.
 */
function sha1OfSorted(parts: readonly string[]): Buffer {
  const sorted = parts.map((part) => Buffer.from(part, "utf8")).sort(Buffer.compare);
  return createHash("sha1").update(Buffer.concat(sorted)).digest();
}

function isPresent(value: string | null | undefined): value is string {
  return typeof value === "string" && value.length > 0;
}

function matchesDigest(expected: Buffer, given: string | null | undefined): boolean {
  if (typeof given !== "string" || !SHA1_HEX.test(given)) return false;
  return timingSafeEqual(expected, Buffer.from(given, "hex"));
}

/**
 * `signature` = lowercase hex SHA-1 of sort([token, timestamp, nonce]) joined.
 *
 * @see docs/wechat-protocol.md §B3 (URL verification)
 */
export function computeSignature(token: string, timestamp: string, nonce: string): string {
  return sha1OfSorted([token, timestamp, nonce]).toString("hex");
}

/**
 * `msg_signature` = lowercase hex SHA-1 of sort([token, timestamp, nonce, encrypt]) joined; also the
 * `MsgSignature` of an encrypted reply.
 *
 * @see docs/wechat-protocol.md §B3 (safe mode, step 5)
 */
export function computeMsgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1OfSorted([token, timestamp, nonce, encrypt]).toString("hex");
}

/**
 * Checks a request's `signature` in constant time. Returns false, never throws, when any part is
 * missing or empty, or the signature is not 40 hex digits. Upper-case hex is accepted.
 *
 * @see docs/wechat-protocol.md §B3
 */
export function verifySignature(
  token: string,
  timestamp: string | null | undefined,
  nonce: string | null | undefined,
  signature: string | null | undefined,
): boolean {
  if (!isPresent(token) || !isPresent(timestamp) || !isPresent(nonce)) return false;
  return matchesDigest(sha1OfSorted([token, timestamp, nonce]), signature);
}

/**
 * Checks a safe-mode `msg_signature` over the `Encrypt` field, in constant time; same rules as
 * {@link verifySignature}.
 *
 * @see docs/wechat-protocol.md §B3 (safe mode, step 5)
 */
export function verifyMsgSignature(
  token: string,
  timestamp: string | null | undefined,
  nonce: string | null | undefined,
  encrypt: string | null | undefined,
  msgSignature: string | null | undefined,
): boolean {
  if (!isPresent(token) || !isPresent(timestamp) || !isPresent(nonce) || !isPresent(encrypt)) return false;
  return matchesDigest(sha1OfSorted([token, timestamp, nonce, encrypt]), msgSignature);
}

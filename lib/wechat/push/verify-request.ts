/**
 * The push webhook's front door: turns WeChat's request into an echo, a verified message, or a
 * typed rejection, and wraps the reply back the way the request came.
 *
 * Two weaknesses of the protocol shape the checks. In plaintext mode `signature` covers only
 * token/timestamp/nonce, not the body, so a signed URL seen once (the URL check's included) can
 * carry any body until its timestamp goes stale: hence the skew window, and callers must enter
 * every accepted request's `timestamp`+`nonce` in a replay cache, echoes included. The `openid`
 * query parameter is covered by no signature at all; use `fields.FromUserName`.
 *
 * Modes: with an EncodingAESKey configured, only the encrypted envelope is accepted (safe mode).
 * Compatible mode's clear copy is tolerated only when every clear field equals its decrypted
 * twin, and the decrypted message is what callers get. A plaintext-only push is then refused: it
 * is signed with the Token alone, which is no proof once the account has a key.
 *
 * @see docs/wechat-protocol.md §B3
 */
import { PUSH_CRYPTO_ERROR_CODES, PushCryptoError, WechatMessageCrypto } from "./crypto";
import { verifyMsgSignature, verifySignature } from "./signature";
import { DEFAULT_MAX_XML_BYTES, parseWechatXml, PushXmlError } from "./xml";

export type PushConfig = {
  token: string;
  /** Set when the account uses compatible or safe mode. */
  encodingAesKey?: string | undefined;
  appId: string;
  /** The account's original id (`gh_…`); when set, a message's `ToUserName` must equal it. */
  originalId?: string | undefined;
};

export type OpenPushRequestInput = {
  method: string;
  query: URLSearchParams;
  body: string;
  config: PushConfig;
  /** Milliseconds since the epoch, as `Date.now()`; default now. */
  now?: number;
  /** Largest accepted distance between the request's timestamp and now; default 300. */
  maxSkewSeconds?: number;
  /** Largest accepted body in UTF-8 bytes; default 64 KiB. */
  maxBytes?: number;
};

export type PushRejectReason =
  | "bad_signature"
  | "stale"
  | "malformed"
  | "too_large"
  | "decrypt_failed"
  | "method"
  /** A plaintext push to an account that has an EncodingAESKey. */
  | "encryption_required"
  /** Compatible mode's clear copy disagrees with the encrypted one. */
  | "plaintext_mismatch"
  /** `ToUserName` is not the configured original id. */
  | "wrong_account";

export type PushMessage = {
  kind: "message";
  /** The message fields; in compatible mode those of the encrypted copy, the plaintext ones are ignored. */
  fields: Record<string, string>;
  /** Whether it came encrypted, i.e. whether the reply must be (see {@link buildReply}). */
  encrypted: boolean;
  /** The request's `timestamp` and `nonce`, for a replay cache and for the reply. */
  timestamp: string;
  nonce: string;
};

export type OpenedPushRequest =
  /** `timestamp` and `nonce` go into the replay cache like a message's: the check's query must not sign a POST. */
  | { kind: "echo"; echostr: string; timestamp: string; nonce: string }
  | PushMessage
  /** `detail` is for the server log: it never holds secrets or message content. */
  | { kind: "rejected"; reason: PushRejectReason; detail: string };

const DEFAULT_MAX_SKEW_SECONDS = 300;
const TIMESTAMP = /^[0-9]{1,12}$/;
// WeChat's echostr is a long decimal; base64 characters leave room without reflecting markup.
const ECHOSTR = /^[A-Za-z0-9+/=_.-]{1,512}$/;

type Rejection = Extract<OpenedPushRequest, { kind: "rejected" }>;

function reject(reason: PushRejectReason, detail: string): Rejection {
  return { kind: "rejected", reason, detail };
}

function readXml(body: string, maxBytes: number, what: string): { fields: Record<string, string> } | { rejection: Rejection } {
  try {
    return { fields: parseWechatXml(body, { maxBytes }) };
  } catch (error) {
    if (!(error instanceof PushXmlError)) throw error;
    return { rejection: reject(error.reason === "too_large" ? "too_large" : "malformed", `${what}: ${error.message}`) };
  }
}

/**
 * Checks one request to the push URL. Never throws for anything a caller of the URL controls.
 *
 * - GET: URL verification; a valid `signature` gives `{ kind: "echo", echostr }`, to be sent back
 *   verbatim as the body (plaintext even in safe mode).
 * - POST without `encrypt_type` (or `raw`): refused when an EncodingAESKey is configured;
 *   otherwise `signature` is checked and the body parsed.
 * - POST with `encrypt_type=aes` (safe and compatible mode): `msg_signature` is checked over the
 *   body's `Encrypt`, which is decrypted and parsed. Plaintext fields next to it (compatible
 *   mode) must each equal the decrypted field of the same name, else the push is refused.
 * - With `config.originalId`, the message's `ToUserName` must equal it.
 * - Every request's `timestamp` must be within `maxSkewSeconds` of `now`, either way; it is
 *   checked after the signature, so `stale` always means an authentic but old (or replayed)
 *   request, or a clock off.
 *
 * @throws {PushCryptoError} only for a bad configured EncodingAESKey (a deployment error).
 * @see docs/wechat-protocol.md §B3
 */
export function openPushRequest(input: OpenPushRequestInput): OpenedPushRequest {
  const { query, config } = input;
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_XML_BYTES;
  const maxSkewSeconds = input.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  const crypto = config.encodingAesKey
    ? new WechatMessageCrypto({ token: config.token, encodingAesKey: config.encodingAesKey, appId: config.appId })
    : undefined;

  const method = typeof input.method === "string" ? input.method.toUpperCase() : "";
  if (method !== "GET" && method !== "POST") return reject("method", `method ${method || "(none)"} is not GET or POST`);

  const timestamp = query.get("timestamp");
  const nonce = query.get("nonce");
  if (timestamp === null || !TIMESTAMP.test(timestamp)) return reject("malformed", "timestamp missing or not unix seconds");
  if (!nonce || nonce.length > 128) return reject("malformed", "nonce missing or too long");
  const isFresh = Math.abs(nowSeconds - Number(timestamp)) <= maxSkewSeconds;

  if (method === "GET") {
    const echostr = query.get("echostr");
    if (!verifySignature(config.token, timestamp, nonce, query.get("signature"))) return reject("bad_signature", "signature does not match");
    if (!isFresh) return reject("stale", `timestamp ${timestamp} is more than ${maxSkewSeconds}s from now`);
    if (echostr === null || !ECHOSTR.test(echostr)) return reject("malformed", "echostr missing or unexpected");
    return { kind: "echo", echostr, timestamp, nonce };
  }

  if (typeof input.body !== "string") return reject("malformed", "body is not text");
  if (input.body.length > maxBytes || Buffer.byteLength(input.body, "utf8") > maxBytes) {
    return reject("too_large", `body is larger than ${maxBytes} bytes`);
  }

  const encryptType = query.get("encrypt_type");
  if (encryptType === null || encryptType === "" || encryptType === "raw") {
    if (!verifySignature(config.token, timestamp, nonce, query.get("signature"))) return reject("bad_signature", "signature does not match");
    if (!isFresh) return reject("stale", `timestamp ${timestamp} is more than ${maxSkewSeconds}s from now`);
    if (crypto) return reject("encryption_required", "plaintext push refused: an EncodingAESKey is configured, so only encrypted pushes are authentic");
    const plain = readXml(input.body, maxBytes, "body");
    if ("rejection" in plain) return plain.rejection;
    return addressedToUs(plain.fields, config) ?? { kind: "message", fields: plain.fields, encrypted: false, timestamp, nonce };
  }
  if (encryptType !== "aes") return reject("malformed", "encrypt_type is neither aes nor raw");

  const outer = readXml(input.body, maxBytes, "body");
  if ("rejection" in outer) return outer.rejection;
  const encrypt = outer.fields.Encrypt;
  if (!encrypt) return reject("malformed", "encrypt_type=aes but no Encrypt field");
  if (!verifyMsgSignature(config.token, timestamp, nonce, encrypt, query.get("msg_signature"))) {
    return reject("bad_signature", "msg_signature does not match");
  }
  if (!isFresh) return reject("stale", `timestamp ${timestamp} is more than ${maxSkewSeconds}s from now`);
  if (!crypto) return reject("decrypt_failed", "encrypted push but no EncodingAESKey configured");

  let inner: string;
  try {
    inner = crypto.decrypt(encrypt);
  } catch (error) {
    if (!(error instanceof PushCryptoError)) throw error;
    return reject("decrypt_failed", `${error.code}: ${error.message}`);
  }
  const decrypted = readXml(inner, maxBytes, "decrypted message");
  if ("rejection" in decrypted) return decrypted.rejection;
  // Only the encrypted copy is authenticated; a clear field that differs was edited in transit.
  for (const [name, value] of Object.entries(outer.fields)) {
    if (name !== "Encrypt" && decrypted.fields[name] !== value) return reject("plaintext_mismatch", `clear ${name} differs from the encrypted one`);
  }
  return addressedToUs(decrypted.fields, config) ?? { kind: "message", fields: decrypted.fields, encrypted: true, timestamp, nonce };
}

function addressedToUs(fields: Record<string, string>, config: PushConfig): Rejection | undefined {
  if (config.originalId === undefined || fields.ToUserName === config.originalId) return undefined;
  return reject("wrong_account", "ToUserName is not this account's original id");
}

export type BuildReplyInput = {
  /** The opened request being answered. */
  request: Pick<PushMessage, "encrypted" | "nonce">;
  /** The passive-reply XML, or `"success"` / `""` to acknowledge without replying. */
  reply: string;
  config: PushConfig;
  /** Milliseconds since the epoch; default now. */
  now?: number;
  /** 16 bytes for reproducing vectors; leave out otherwise. */
  random?: Buffer;
};

/**
 * The response body for a push: the reply as is for plaintext requests, encrypted with a fresh
 * timestamp and the request's nonce for encrypted ones. The bare acknowledgements `success` and
 * the empty body are never encrypted, as WeChat accepts them in every mode.
 *
 * @throws {PushCryptoError} when the request was encrypted but the config has no valid key.
 * @see docs/wechat-protocol.md §B3 (reply rules; safe mode, step 7)
 */
export function buildReply(input: BuildReplyInput): string {
  const { request, reply, config } = input;
  if (!request.encrypted || reply === "" || reply === "success") return reply;
  if (!config.encodingAesKey) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.badAesKey, "encrypted reply needs an EncodingAESKey");
  const crypto = new WechatMessageCrypto({ token: config.token, encodingAesKey: config.encodingAesKey, appId: config.appId });
  const timestamp = Math.floor((input.now ?? Date.now()) / 1000);
  return crypto.buildEncryptedReply(reply, { timestamp, nonce: request.nonce, ...(input.random ? { random: input.random } : {}) });
}

/**
 * WeChat's safe-mode ("安全模式") message encryption, as in the WXBizMsgCrypt reference samples:
 * AES-256-CBC with IV = key[0..16], a PKCS#7 variant padding to 32 bytes, and the frame
 * `random(16) || uint32 BE length || message || appid`.
 *
 * CBC has no integrity of its own: a changed ciphertext byte garbles one block and flips the same
 * bit in the next. The checks here (padding, length, appid, UTF-8) catch most tampering, but not
 * bit flips steered into the first message bytes; `msg_signature` is what authenticates `Encrypt`,
 * so it must be verified before decrypting (verify-request.ts does).
 *
 * @see docs/wechat-protocol.md §B3 (safe mode)
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { computeMsgSignature } from "./signature";
import { wrapCdata } from "./xml";

/** The WXBizMsgCrypt reference codes this module raises, by meaning. */
export const PUSH_CRYPTO_ERROR_CODES = {
  badSignature: -40001,
  xmlParse: -40002,
  badAesKey: -40004,
  appIdMismatch: -40005,
  decryptFailed: -40007,
  base64Decode: -40010,
  xmlBuild: -40011,
} as const;

export type PushCryptoErrorCode = (typeof PUSH_CRYPTO_ERROR_CODES)[keyof typeof PUSH_CRYPTO_ERROR_CODES];

/**
 * Safe-mode encryption or decryption failed; `code` is the WXBizMsgCrypt reference code.
 *
 * @see docs/wechat-protocol.md §B3 (reference-sample error codes)
 */
export class PushCryptoError extends Error {
  override name = "PushCryptoError";
  constructor(
    readonly code: PushCryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type WechatMessageCryptoConfig = { token: string; encodingAesKey: string; appId: string };

const BLOCK_SIZE = 32;
const RANDOM_BYTES = 16;
const HEADER_BYTES = RANDOM_BYTES + 4;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
// Canonical padded base64 only: Buffer.from(…, "base64") would silently skip anything else.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes an EncodingAESKey (43 characters `[A-Za-z0-9]`, base64 without its `=`) into the 32-byte
 * AES key. Like the reference samples it ignores the last character's two spare bits, since
 * WeChat's console generates keys that do not keep them zero.
 *
 * @throws {PushCryptoError} -40004 for any other shape.
 * @see docs/wechat-protocol.md §B3 (safe mode, step 1)
 */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
  if (typeof encodingAesKey !== "string" || !ENCODING_AES_KEY.test(encodingAesKey)) {
    throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.badAesKey, "EncodingAESKey must be 43 characters [A-Za-z0-9]");
  }
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  if (key.length !== 32) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.badAesKey, "EncodingAESKey does not decode to 32 bytes");
  return key;
}

/** Encrypts, decrypts and signs safe-mode messages for one account. */
export class WechatMessageCrypto {
  readonly #key: Buffer;
  readonly #iv: Buffer;
  readonly #appId: Buffer;
  readonly #token: string;

  /** @throws {PushCryptoError} -40004 for a bad EncodingAESKey; TypeError for an empty token or appId. */
  constructor(config: WechatMessageCryptoConfig) {
    this.#key = decodeEncodingAesKey(config.encodingAesKey);
    this.#iv = this.#key.subarray(0, 16);
    if (typeof config.appId !== "string" || config.appId.length === 0) throw new TypeError("appId must be a non-empty string");
    if (typeof config.token !== "string" || config.token.length === 0) throw new TypeError("token must be a non-empty string");
    this.#appId = Buffer.from(config.appId, "utf8");
    this.#token = config.token;
  }

  /**
   * Decrypts an `Encrypt` value into the message (XML, or JSON for accounts pushing JSON).
   *
   * @throws {PushCryptoError} -40010 not canonical base64; -40007 wrong block length, bad padding
   *   (pad ∉ 1..32 or pad bytes differ), a length field that does not fit, or a message that is not
   *   UTF-8; -40005 the trailing appid is not exactly ours.
   * @see docs/wechat-protocol.md §B3 (safe mode, step 6)
   */
  decrypt(encryptBase64: string): string {
    if (typeof encryptBase64 !== "string" || encryptBase64.length === 0 || !STRICT_BASE64.test(encryptBase64)) {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.base64Decode, "Encrypt is not base64");
    }
    const ciphertext = Buffer.from(encryptBase64, "base64");
    // The padded frame is whole 32-byte blocks; checking first keeps OpenSSL's own error out.
    if (ciphertext.length === 0 || ciphertext.length % BLOCK_SIZE !== 0) {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "ciphertext is not whole 32-byte blocks");
    }

    let padded: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-cbc", this.#key, this.#iv);
      decipher.setAutoPadding(false);
      padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "AES decryption failed");
    }

    const pad = padded[padded.length - 1] ?? 0;
    if (pad < 1 || pad > BLOCK_SIZE) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "bad padding");
    for (let index = padded.length - pad; index < padded.length; index++) {
      if (padded[index] !== pad) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "bad padding");
    }
    const frame = padded.subarray(0, padded.length - pad);
    if (frame.length < HEADER_BYTES) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "frame shorter than its header");

    const messageLength = frame.readUInt32BE(RANDOM_BYTES);
    if (messageLength > frame.length - HEADER_BYTES) {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "message length does not fit the frame");
    }
    const messageEnd = HEADER_BYTES + messageLength;
    if (!frame.subarray(messageEnd).equals(this.#appId)) {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.appIdMismatch, "appid in the message is not ours");
    }
    try {
      return utf8.decode(frame.subarray(HEADER_BYTES, messageEnd));
    } catch {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.decryptFailed, "message is not UTF-8");
    }
  }

  /**
   * Encrypts `message` into an `Encrypt` value. `random` (16 bytes) is for reproducing vectors;
   * leave it out otherwise.
   *
   * @see docs/wechat-protocol.md §B3 (safe mode, steps 2–4)
   */
  encrypt(message: string, options: { random?: Buffer } = {}): string {
    const random = options.random ?? randomBytes(RANDOM_BYTES);
    if (random.length !== RANDOM_BYTES) throw new TypeError("random must be 16 bytes");
    const body = Buffer.from(message, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const frame = Buffer.concat([random, length, body, this.#appId]);
    // Always 1..32 bytes of padding: an aligned frame gets a whole block, so the last byte is a length.
    const pad = BLOCK_SIZE - (frame.length % BLOCK_SIZE);
    const cipher = createCipheriv("aes-256-cbc", this.#key, this.#iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([frame, Buffer.alloc(pad, pad)])), cipher.final()]).toString("base64");
  }

  /**
   * Builds the encrypted passive reply: `Encrypt`, `MsgSignature` over it, `TimeStamp` and the
   * request's `Nonce`.
   *
   * @throws {PushCryptoError} -40011 when the timestamp is not unix seconds or nonce is empty.
   * @see docs/wechat-protocol.md §B3 (safe mode, step 7)
   */
  buildEncryptedReply(message: string, options: { timestamp: number | string; nonce: string; random?: Buffer }): string {
    const timestamp = String(options.timestamp);
    if (!TIMESTAMP.test(timestamp)) throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.xmlBuild, "timestamp must be unix seconds");
    if (typeof options.nonce !== "string" || options.nonce.length === 0) {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.xmlBuild, "nonce must be a non-empty string");
    }
    const encrypt = this.encrypt(message, options.random === undefined ? {} : { random: options.random });
    const signature = computeMsgSignature(this.#token, timestamp, options.nonce, encrypt);
    let nonce: string;
    try {
      nonce = wrapCdata(options.nonce);
    } catch {
      throw new PushCryptoError(PUSH_CRYPTO_ERROR_CODES.xmlBuild, "nonce cannot be written as XML");
    }
    return (
      `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt>` +
      `<MsgSignature><![CDATA[${signature}]]></MsgSignature>` +
      `<TimeStamp>${timestamp}</TimeStamp>` +
      `<Nonce>${nonce}</Nonce></xml>`
    );
  }
}

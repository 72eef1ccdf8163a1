import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * WeChat's push signatures and "safe mode" message encryption, written from the protocol (docs/wechat-protocol.md
 * §B3) independently of the app's lib/, so the emulator checks the app instead of agreeing with it.
 * @see https://developers.weixin.qq.com/doc/oplatform/developers/dev/push/encryption.md
 */

/** Codes of WeChat's reference sample (WXBizMsgCrypt), so failures read like the SDKs developers know. */
export const WX_CRYPTO_ERRORS = {
  badSignature: -40001,
  badXml: -40002,
  badAesKey: -40004,
  badAppid: -40005,
  decryptFailed: -40007,
  badBase64: -40010,
} as const;

export class WxCryptoError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** WeChat pads to 32-byte blocks (not AES's 16), always adding 1..32 bytes. */
const PAD_BLOCK = 32;
const RANDOM_BYTES = 16;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `lowercase_hex(SHA1(concat(sort(parts))))`: the URL `signature` over [token, timestamp, nonce] and
 * `msg_signature` / `MsgSignature` over [token, timestamp, nonce, Encrypt]. Sorted as plain strings.
 */
export function computeSignature(...parts: string[]): string {
  return createHash("sha1")
    .update([...parts].sort().join(""))
    .digest("hex");
}

/** The 32-byte AES key behind a 43-character EncodingAESKey (`base64decode(key + "=")`). */
export function decodeEncodingAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) {
    throw new WxCryptoError(WX_CRYPTO_ERRORS.badAesKey, "EncodingAESKey must be 43 characters of [A-Za-z0-9]");
  }
  return Buffer.from(`${encodingAesKey}=`, "base64");
}

/**
 * Encrypts a message as WeChat does: frame `random(16) || len(uint32 BE) || msg || appid`, PKCS#7 with block
 * 32, AES-256-CBC with IV = key[0:16], base64. `random` is only fixed by tests reproducing official vectors.
 */
export function encryptMessage(options: { aesKey: Buffer; appid: string; message: string; random?: Buffer }): string {
  const random = options.random ?? randomBytes(RANDOM_BYTES);
  if (random.length !== RANDOM_BYTES) throw new Error("random must be 16 bytes");
  const message = Buffer.from(options.message, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const frame = Buffer.concat([random, length, message, Buffer.from(options.appid, "utf8")]);
  const pad = PAD_BLOCK - (frame.length % PAD_BLOCK);
  const cipher = createCipheriv("aes-256-cbc", options.aesKey, options.aesKey.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([frame, Buffer.alloc(pad, pad)])), cipher.final()]).toString("base64");
}

/** Decrypts an `Encrypt` value; throws WxCryptoError on bad base64, bad padding, a bad frame or another appid. */
export function decryptMessage(options: { aesKey: Buffer; appid: string; encrypt: string }): { message: string; random: Buffer } {
  const encrypt = options.encrypt.trim();
  if (encrypt.length % 4 !== 0 || !BASE64.test(encrypt)) {
    throw new WxCryptoError(WX_CRYPTO_ERRORS.badBase64, "Encrypt is not base64");
  }
  const ciphertext = Buffer.from(encrypt, "base64");
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new WxCryptoError(WX_CRYPTO_ERRORS.decryptFailed, "ciphertext is not a whole number of AES blocks");
  }
  let plain: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-cbc", options.aesKey, options.aesKey.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new WxCryptoError(WX_CRYPTO_ERRORS.decryptFailed, "AES decryption failed");
  }
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > PAD_BLOCK) throw new WxCryptoError(WX_CRYPTO_ERRORS.decryptFailed, "bad padding");
  const frame = plain.subarray(0, plain.length - pad);
  if (frame.length < RANDOM_BYTES + 4) throw new WxCryptoError(WX_CRYPTO_ERRORS.decryptFailed, "frame too short");
  const length = frame.readUInt32BE(RANDOM_BYTES);
  const start = RANDOM_BYTES + 4;
  if (start + length > frame.length) throw new WxCryptoError(WX_CRYPTO_ERRORS.decryptFailed, "bad message length");
  const appid = frame.subarray(start + length).toString("utf8");
  if (appid !== options.appid) throw new WxCryptoError(WX_CRYPTO_ERRORS.badAppid, "appid at the end of the frame does not match");
  return { message: frame.subarray(start, start + length).toString("utf8"), random: frame.subarray(0, RANDOM_BYTES) };
}

/** A numeric nonce like the ones WeChat sends (`nonce=1514711492`). */
export function createNonce(): string {
  return String(1_000_000_000 + (randomBytes(4).readUInt32BE() % 1_000_000_000));
}

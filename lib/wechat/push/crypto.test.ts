import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeEncodingAesKey, PushCryptoError, WechatMessageCrypto } from "./crypto";
import { computeMsgSignature } from "./signature";
import { parseWechatXml } from "./xml";

// §B3 official vectors: token AAAAA, EncodingAESKey 43×A (32 zero bytes), appid wxba5fad812f8e6fb9.
const OFFICIAL = { token: "AAAAA", encodingAesKey: "A".repeat(43), appId: "wxba5fad812f8e6fb9" };
const OFFICIAL_ENCRYPT =
  "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomEncodingAesKey(): string {
  return Array.from(randomBytes(43), (byte) => ALPHANUMERIC[byte % 62]).join("");
}

/** Encrypts an arbitrary padded frame, to build ciphertexts the real encoder would never make. */
function encryptRaw(encodingAesKey: string, plaintext: Buffer): string {
  const key = decodeEncodingAesKey(encodingAesKey);
  const cipher = createCipheriv("aes-256-cbc", key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString("base64");
}

function frame(message: string, appId: string, lengthOverride?: number): Buffer {
  const body = Buffer.from(message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(lengthOverride ?? body.length);
  return Buffer.concat([randomBytes(16), length, body, Buffer.from(appId)]);
}

function pad(buffer: Buffer, padBytes?: Buffer): Buffer {
  const count = 32 - (buffer.length % 32);
  return Buffer.concat([buffer, padBytes ?? Buffer.alloc(count, count)]);
}

function codeOf(run: () => unknown): number | "no error" {
  try {
    run();
    return "no error";
  } catch (error) {
    if (error instanceof PushCryptoError) return error.code;
    throw error;
  }
}

describe("official vectors", () => {
  const crypto = new WechatMessageCrypto(OFFICIAL);

  it("decrypts the official Encrypt: random a8eedb185eb2fecf, msg_len 167, debug_demo JSON, our appid", () => {
    const message = crypto.decrypt(OFFICIAL_ENCRYPT);
    expect(Buffer.byteLength(message)).toBe(167);
    expect(JSON.parse(message)).toMatchObject({
      ToUserName: "gh_97417a04a28d",
      FromUserName: "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
      CreateTime: 1714112445,
      MsgType: "event",
      Event: "debug_demo",
    });

    // The frame itself, decrypted by hand: random, length field, appid tail, 32-byte padding.
    const key = decodeEncodingAesKey(OFFICIAL.encodingAesKey);
    expect(key.equals(Buffer.alloc(32))).toBe(true);
    const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(Buffer.from(OFFICIAL_ENCRYPT, "base64")), decipher.final()]);
    const padCount = padded[padded.length - 1]!;
    expect(padded.subarray(0, 16).toString("latin1")).toBe("a8eedb185eb2fecf");
    expect(padded.readUInt32BE(16)).toBe(167);
    expect(padded.subarray(20, 20 + 167).toString()).toBe(message);
    expect(padded.subarray(20 + 167, padded.length - padCount).toString()).toBe(OFFICIAL.appId);
    expect(padded.length % 32).toBe(0);
    const reEncrypted = crypto.encrypt(message, { random: Buffer.from("a8eedb185eb2fecf", "latin1") });
    expect(reEncrypted).toBe(OFFICIAL_ENCRYPT);
  });

  it("builds the official reply Encrypt and MsgSignature exactly", () => {
    const xml = crypto.buildEncryptedReply('{"demo_resp":"good luck"}', {
      timestamp: 1713424427,
      nonce: "415670741",
      random: Buffer.from("707722b803182950", "latin1"),
    });
    expect(xml).toBe(
      "<xml><Encrypt><![CDATA[ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==]]></Encrypt>" +
        "<MsgSignature><![CDATA[1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1]]></MsgSignature>" +
        "<TimeStamp>1713424427</TimeStamp><Nonce><![CDATA[415670741]]></Nonce></xml>",
    );
    const fields = parseWechatXml(xml);
    expect(crypto.decrypt(fields.Encrypt!)).toBe('{"demo_resp":"good luck"}');
  });
});

describe("round trips", () => {
  it("decrypts what it encrypts, for random keys, appids and message lengths (aligned frames included)", () => {
    for (let round = 0; round < 40; round++) {
      const appId = `wx${randomBytes(8).toString("hex")}`;
      const crypto = new WechatMessageCrypto({ token: "t", encodingAesKey: randomEncodingAesKey(), appId });
      // 16 + 4 + n + 18 is a multiple of 32 for n = 26, 58, …: those frames get a whole block of padding.
      const message = "x".repeat(round * 2) + (round % 3 === 0 ? "登录🙂<xml>&amp;" : "");
      expect(crypto.decrypt(crypto.encrypt(message))).toBe(message);
    }
    const crypto = new WechatMessageCrypto({ token: "t", encodingAesKey: randomEncodingAesKey(), appId: "wx1" });
    for (const message of ["", "a".repeat(26 + 14), "b".repeat(1000)]) expect(crypto.decrypt(crypto.encrypt(message))).toBe(message);
  });

  it("uses a fresh random per encryption", () => {
    const crypto = new WechatMessageCrypto(OFFICIAL);
    expect(crypto.encrypt("same")).not.toBe(crypto.encrypt("same"));
  });

  it("signs the encrypted reply over its own Encrypt, timestamp and the request nonce", () => {
    const crypto = new WechatMessageCrypto({ ...OFFICIAL, encodingAesKey: randomEncodingAesKey() });
    const fields = parseWechatXml(crypto.buildEncryptedReply("<xml><Content><![CDATA[hi]]></Content></xml>", { timestamp: "1700000000", nonce: "12345" }));
    expect(fields.MsgSignature).toBe(computeMsgSignature("AAAAA", "1700000000", "12345", fields.Encrypt!));
    expect(fields.Nonce).toBe("12345");
    expect(crypto.decrypt(fields.Encrypt!)).toBe("<xml><Content><![CDATA[hi]]></Content></xml>");
  });
});

describe("refusals", () => {
  const encodingAesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
  const appId = "wx5823bf96d3bd56c7";
  const crypto = new WechatMessageCrypto({ token: "QDG6eK", encodingAesKey, appId });

  it("-40004 for a bad EncodingAESKey", () => {
    for (const bad of ["", "A".repeat(42), "A".repeat(44), `${"A".repeat(42)}+`, `${"A".repeat(42)}=`, `${"A".repeat(42)} `]) {
      expect(codeOf(() => new WechatMessageCrypto({ ...OFFICIAL, encodingAesKey: bad }))).toBe(-40004);
    }
  });

  it("-40010 for anything that is not canonical base64", () => {
    for (const bad of ["", "not base64!", "AAA", "AAAA=", "AA==AA==", "AAAA AAAA", "AAAA\n", "-_-_"]) {
      expect(codeOf(() => crypto.decrypt(bad))).toBe(-40010);
    }
  });

  it("-40007 for ciphertexts that are not whole 32-byte blocks", () => {
    expect(codeOf(() => crypto.decrypt(randomBytes(16).toString("base64")))).toBe(-40007);
    expect(codeOf(() => crypto.decrypt(randomBytes(33).toString("base64")))).toBe(-40007);
  });

  it("-40005 for another account's appid, a prefix of ours, or ours with extra bytes", () => {
    const other = new WechatMessageCrypto({ token: "QDG6eK", encodingAesKey, appId: "wx0000000000000000" });
    expect(codeOf(() => crypto.decrypt(other.encrypt("<xml/>")))).toBe(-40005);
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(frame("<xml/>", appId.slice(0, -1))))))).toBe(-40005);
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(frame("<xml/>", `${appId}x`)))))).toBe(-40005);
  });

  it("-40007 for bad padding: zero, over 32, or pad bytes that disagree", () => {
    const content = frame("<xml/>", appId);
    const count = 32 - (content.length % 32);
    const zero = Buffer.alloc(count, count);
    zero[count - 1] = 0;
    const mixed = Buffer.alloc(count, count);
    mixed[0] = count + 1;
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(content, zero))))).toBe(-40007);
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(content, mixed))))).toBe(-40007);
    // A last byte over 32 is never a pad for block size 32.
    const aligned = Buffer.concat([content, Buffer.alloc(count, 0x21)]);
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, aligned)))).toBe(-40007);
  });

  it("-40007 for a length field that overruns the frame", () => {
    const message = "<xml/>";
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(frame(message, appId, 0xffffffff)))))).toBe(-40007);
    expect(codeOf(() => crypto.decrypt(encryptRaw(encodingAesKey, pad(frame(message, appId, message.length + appId.length + 1)))))).toBe(-40007);
  });

  it("turns a tampered byte into an error, except bit flips steered into the first 12 message bytes", () => {
    // CBC has no integrity: flipping byte i of block 0 (i ≥ 4) flips message byte i − 4 and only
    // garbles the random. Those are the positions msg_signature has to catch (verify-request.test.ts).
    const fixed = new WechatMessageCrypto({ token: "t", encodingAesKey, appId });
    const message =
      "<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName><FromUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></FromUserName><CreateTime>1700000123</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event></xml>";
    const ciphertext = Buffer.from(fixed.encrypt(message, { random: Buffer.alloc(16, 7) }), "base64");
    const undetected: number[] = [];
    for (let index = 0; index < ciphertext.length; index++) {
      for (const flip of [0x01, 0x80]) {
        const tampered = Buffer.from(ciphertext);
        tampered[index]! ^= flip;
        let result: string | undefined;
        try {
          result = fixed.decrypt(tampered.toString("base64"));
        } catch (error) {
          expect(error).toBeInstanceOf(PushCryptoError);
          continue;
        }
        expect(result).not.toBe(message);
        if (!undetected.includes(index)) undetected.push(index);
      }
    }
    expect(undetected.length).toBeGreaterThan(0);
    expect(undetected.every((index) => index >= 4 && index < 16)).toBe(true);
  });
});

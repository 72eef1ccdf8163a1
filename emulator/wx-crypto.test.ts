import { describe, expect, it } from "vitest";
import { computeSignature, decodeEncodingAesKey, decryptMessage, encryptMessage, WxCryptoError } from "./wx-crypto";
import { appendXmlField, buildXml, cdata, isXmlDocument, readXmlField } from "./wx-xml";

// Official vectors from WeChat's push encryption doc (docs/wechat-protocol.md §B3).
const TOKEN = "AAAAA";
const AES_KEY = decodeEncodingAesKey("A".repeat(43));
const APPID = "wxba5fad812f8e6fb9";
const ENCRYPT =
  "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";

describe("signatures (official vectors)", () => {
  it("computes the URL signature over token, timestamp and nonce", () => {
    expect(computeSignature(TOKEN, "1714036504", "1514711492")).toBe("f464b24fc39322e44b38aa78f5edd27bd1441696");
    expect(computeSignature(TOKEN, "1714037059", "486452656")).toBe("899cf89e464efb63f54ddac96b0a0a235f53aa78");
    expect(computeSignature(TOKEN, "1714112445", "415670741")).toBe("6c5c811b55cc85e0e1b54100749188c20beb3f5d");
    expect(computeSignature("tok123", "1700000000", "987654321")).toBe("82f7f5266e6a643fa74d4a59e2650c7d6f3e208e");
  });

  it("computes msg_signature over token, timestamp, nonce and Encrypt, in any argument order", () => {
    expect(computeSignature(TOKEN, "1714112445", "415670741", ENCRYPT)).toBe("046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");
    expect(computeSignature(ENCRYPT, "415670741", TOKEN, "1714112445")).toBe("046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");
  });
});

describe("AES (official vectors)", () => {
  it("decodes the 43×A EncodingAESKey to 32 zero bytes", () => {
    expect(AES_KEY).toEqual(Buffer.alloc(32));
    expect(decodeEncodingAesKey("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")).toHaveLength(32);
    expect(() => decodeEncodingAesKey("short")).toThrow(WxCryptoError);
  });

  it("decrypts the official Encrypt into the debug_demo event", () => {
    const { message, random } = decryptMessage({ aesKey: AES_KEY, appid: APPID, encrypt: ENCRYPT });
    expect(random.toString("utf8")).toBe("a8eedb185eb2fecf");
    expect(Buffer.byteLength(message)).toBe(167);
    expect(message).toContain("debug_demo");
    expect(JSON.parse(message)).toMatchObject({ Event: "debug_demo" });
  });

  it("re-encrypts the official reply with its random to the same Encrypt and MsgSignature", () => {
    const encrypt = encryptMessage({
      aesKey: AES_KEY,
      appid: APPID,
      message: '{"demo_resp":"good luck"}',
      random: Buffer.from("707722b803182950", "utf8"),
    });
    expect(encrypt).toBe("ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==");
    expect(computeSignature(TOKEN, "1713424427", "415670741", encrypt)).toBe("1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1");
  });

  it("round-trips UTF-8 and pads an aligned frame with a full 32-byte block", () => {
    const key = decodeEncodingAesKey("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    const message = "<xml><Content><![CDATA[你好，世界]]></Content></xml>";
    const encrypt = encryptMessage({ aesKey: key, appid: "wx8e0b5c61d2a3f4a0", message });
    expect(decryptMessage({ aesKey: key, appid: "wx8e0b5c61d2a3f4a0", encrypt }).message).toBe(message);

    // 16 random + 4 length + 26 message + 18 appid = 64 bytes: aligned, so 32 more bytes of padding.
    const aligned = encryptMessage({ aesKey: key, appid: "wx8e0b5c61d2a3f4a0", message: "a".repeat(26) });
    expect(Buffer.from(aligned, "base64")).toHaveLength(96);
  });

  it("rejects another appid, bad base64 and garbage with the reference sample's codes", () => {
    const encrypt = encryptMessage({ aesKey: AES_KEY, appid: APPID, message: "hi" });
    const codeOf = (fn: () => unknown): number | undefined => {
      try {
        fn();
        return undefined;
      } catch (error) {
        return error instanceof WxCryptoError ? error.code : undefined;
      }
    };
    expect(codeOf(() => decryptMessage({ aesKey: AES_KEY, appid: "wxother", encrypt }))).toBe(-40005);
    expect(codeOf(() => decryptMessage({ aesKey: AES_KEY, appid: APPID, encrypt: "not base64!" }))).toBe(-40010);
    expect(codeOf(() => decryptMessage({ aesKey: AES_KEY, appid: APPID, encrypt: Buffer.alloc(32, 7).toString("base64") }))).toBe(-40007);
  });
});

describe("wx-xml", () => {
  it("builds WeChat-shaped XML and reads fields back", () => {
    const xml = buildXml({ ToUserName: "gh_x", CreateTime: 1700000123, Content: 'a ]]> b <a href="http://x">y</a>' });
    expect(xml).toContain("<CreateTime>1700000123</CreateTime>");
    expect(xml).toContain("<ToUserName><![CDATA[gh_x]]></ToUserName>");
    expect(isXmlDocument(xml)).toBe(true);
    expect(readXmlField(xml, "Content")).toBe('a ]]> b <a href="http://x">y</a>');
    expect(readXmlField(xml, "CreateTime")).toBe("1700000123");
    expect(readXmlField(xml, "Missing")).toBeUndefined();
    expect(readXmlField("<xml><Content>a &amp; b &lt;i&gt;</Content></xml>", "Content")).toBe("a & b <i>");
    expect(readXmlField(appendXmlField(xml, "Encrypt", "abc=="), "Encrypt")).toBe("abc==");
    expect(cdata("x")).toBe("<![CDATA[x]]>");
    expect(isXmlDocument('<?xml version="1.0"?>\n<xml></xml>\n')).toBe(true);
    expect(isXmlDocument('{"xml":1}')).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { WechatMessageCrypto } from "./crypto";
import { computeMsgSignature, computeSignature } from "./signature";
import { buildReply, openPushRequest, type OpenPushRequestInput, type PushConfig } from "./verify-request";
import { parseWechatXml } from "./xml";

const CONFIG: PushConfig = { token: "tok123", encodingAesKey: "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", appId: "wx5823bf96d3bd56c7" };
/** The same account without an EncodingAESKey: plaintext mode. */
const PLAIN_CONFIG: PushConfig = { token: CONFIG.token, appId: CONFIG.appId };
const crypto = new WechatMessageCrypto({ token: CONFIG.token, encodingAesKey: CONFIG.encodingAesKey!, appId: CONFIG.appId });
const TIMESTAMP = "1700000000";
const NOW = Number(TIMESTAMP) * 1000;
const NONCE = "987654321";

const SCAN_XML =
  "<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName><FromUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></FromUserName>" +
  "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>" +
  "<EventKey><![CDATA[login_5f1c9a2e]]></EventKey><Ticket><![CDATA[gQF...AAA==]]></Ticket></xml>";

function query(params: Record<string, string>): URLSearchParams {
  return new URLSearchParams(params);
}

function plainPost(body: string, overrides: Record<string, string> = {}, timestamp = TIMESTAMP): OpenPushRequestInput {
  return {
    method: "POST",
    query: query({
      signature: computeSignature(CONFIG.token, timestamp, NONCE),
      timestamp,
      nonce: NONCE,
      openid: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      ...overrides,
    }),
    body,
    config: PLAIN_CONFIG,
    now: NOW,
  };
}

/** A safe-mode (or, with `plaintext`, compatible-mode) push of `inner`, signed as WeChat would. */
function aesPost(inner: string, options: { plaintext?: string; encrypt?: string; timestamp?: string } = {}): OpenPushRequestInput {
  const timestamp = options.timestamp ?? TIMESTAMP;
  const encrypt = options.encrypt ?? crypto.encrypt(inner);
  const body = `<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName>${options.plaintext ?? ""}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  return {
    method: "POST",
    query: query({
      signature: computeSignature(CONFIG.token, timestamp, NONCE),
      timestamp,
      nonce: NONCE,
      openid: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      encrypt_type: "aes",
      msg_signature: computeMsgSignature(CONFIG.token, timestamp, NONCE, encrypt),
    }),
    body,
    config: CONFIG,
    now: NOW,
  };
}

describe("GET: URL verification", () => {
  const signed = { signature: "82f7f5266e6a643fa74d4a59e2650c7d6f3e208e", timestamp: TIMESTAMP, nonce: NONCE, echostr: "5838479218127813673" };

  it("echoes echostr for the §B3 constructed example", () => {
    expect(openPushRequest({ method: "GET", query: query(signed), body: "", config: CONFIG, now: NOW })).toEqual({
      kind: "echo",
      echostr: "5838479218127813673",
      timestamp: TIMESTAMP,
      nonce: NONCE,
    });
  });

  it("refuses a wrong or missing signature, a stale timestamp, a missing echostr", () => {
    const open = (params: Record<string, string>, now = NOW) => openPushRequest({ method: "GET", query: query(params), body: "", config: CONFIG, now });
    expect(open({ ...signed, signature: "0".repeat(40) })).toMatchObject({ kind: "rejected", reason: "bad_signature" });
    const { signature: _, ...unsigned } = signed;
    expect(open(unsigned)).toMatchObject({ reason: "bad_signature" });
    expect(open(signed, NOW + 301_000)).toMatchObject({ reason: "stale" });
    const { echostr: __, ...noEcho } = signed;
    expect(open(noEcho)).toMatchObject({ reason: "malformed" });
    expect(open({ ...signed, echostr: "<script>" })).toMatchObject({ reason: "malformed" });
    expect(openPushRequest({ method: "GET", query: query(signed), body: "", config: { ...CONFIG, token: "other" }, now: NOW })).toMatchObject({
      reason: "bad_signature",
    });
  });

  it("refuses other methods", () => {
    expect(openPushRequest({ method: "PUT", query: query(signed), body: "", config: CONFIG, now: NOW })).toMatchObject({ kind: "rejected", reason: "method" });
  });
});

describe("POST: plaintext mode", () => {
  it("accepts a good signature and returns the fields", () => {
    const opened = openPushRequest(plainPost(SCAN_XML));
    expect(opened).toMatchObject({ kind: "message", encrypted: false, timestamp: TIMESTAMP, nonce: NONCE });
    if (opened.kind !== "message") throw new Error("not a message");
    expect(opened.fields.EventKey).toBe("login_5f1c9a2e");
  });

  it("refuses a bad signature, whatever the body", () => {
    expect(openPushRequest(plainPost(SCAN_XML, { signature: "f".repeat(40) }))).toMatchObject({ kind: "rejected", reason: "bad_signature" });
    expect(openPushRequest(plainPost(SCAN_XML, { signature: "" }))).toMatchObject({ reason: "bad_signature" });
    expect(openPushRequest(plainPost("<!DOCTYPE x>", { signature: "nothex" }))).toMatchObject({ reason: "bad_signature" });
  });

  it("refuses malformed and hostile bodies as malformed, without throwing", () => {
    expect(openPushRequest(plainPost(`<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><A>&xxe;</A></xml>`))).toMatchObject({
      reason: "malformed",
    });
    expect(openPushRequest(plainPost("<xml><A>1</xml>"))).toMatchObject({ reason: "malformed" });
    expect(openPushRequest(plainPost("{}"))).toMatchObject({ reason: "malformed" });
  });

  it("refuses a plaintext push, even well signed, once an EncodingAESKey is configured", () => {
    expect(openPushRequest({ ...plainPost(SCAN_XML), config: CONFIG })).toMatchObject({ kind: "rejected", reason: "encryption_required" });
  });

  it("refuses a message to another account when the original id is configured", () => {
    expect(openPushRequest({ ...plainPost(SCAN_XML), config: { ...PLAIN_CONFIG, originalId: "gh_0a1b2c3d4e5f" } }).kind).toBe("message");
    expect(openPushRequest({ ...plainPost(SCAN_XML), config: { ...PLAIN_CONFIG, originalId: "gh_ffffffffffff" } })).toMatchObject({ reason: "wrong_account" });
    expect(openPushRequest({ ...aesPost(SCAN_XML), config: { ...CONFIG, originalId: "gh_ffffffffffff" } })).toMatchObject({ reason: "wrong_account" });
  });
});

describe("POST: safe mode", () => {
  it("verifies msg_signature, decrypts and parses the inner XML", () => {
    const opened = openPushRequest(aesPost(SCAN_XML));
    expect(opened).toMatchObject({ kind: "message", encrypted: true, nonce: NONCE });
    if (opened.kind !== "message") throw new Error("not a message");
    expect({ ...opened.fields }).toEqual(parseWechatXml(SCAN_XML));
  });

  it("checks msg_signature, not signature", () => {
    const input = aesPost(SCAN_XML);
    input.query.set("msg_signature", "0".repeat(40));
    expect(openPushRequest(input)).toMatchObject({ kind: "rejected", reason: "bad_signature" });
    input.query.delete("msg_signature");
    expect(openPushRequest(input)).toMatchObject({ reason: "bad_signature" });
    // A correct URL signature does not stand in for msg_signature.
    input.query.set("msg_signature", input.query.get("signature")!);
    expect(openPushRequest(input)).toMatchObject({ reason: "bad_signature" });
    // And a wrong URL signature does not matter when msg_signature holds.
    const ok = aesPost(SCAN_XML);
    ok.query.set("signature", "0".repeat(40));
    expect(openPushRequest(ok)).toMatchObject({ kind: "message" });
  });

  it("refuses every tampered ciphertext byte under the original msg_signature", () => {
    const encrypt = crypto.encrypt(SCAN_XML);
    const good = aesPost(SCAN_XML, { encrypt });
    const bytes = Buffer.from(encrypt, "base64");
    for (let index = 0; index < bytes.length; index++) {
      const tampered = Buffer.from(bytes);
      tampered[index]! ^= 0x01;
      const input = { ...good, body: good.body.replace(encrypt, tampered.toString("base64")) };
      expect(openPushRequest(input)).toMatchObject({ kind: "rejected", reason: "bad_signature" });
    }
  });

  it("refuses a re-signed tampered Encrypt when decryption catches it", () => {
    // Someone holding the token but not the AES key re-signs a tampered Encrypt: the last block's padding breaks.
    const bytes = Buffer.from(crypto.encrypt(SCAN_XML), "base64");
    bytes[bytes.length - 1]! ^= 0x55;
    expect(openPushRequest(aesPost(SCAN_XML, { encrypt: bytes.toString("base64") }))).toMatchObject({ reason: "decrypt_failed" });
  });

  it("refuses another account's appid as decrypt_failed", () => {
    const other = new WechatMessageCrypto({ token: CONFIG.token, encodingAesKey: CONFIG.encodingAesKey!, appId: "wx0000000000000000" });
    const opened = openPushRequest(aesPost(SCAN_XML, { encrypt: other.encrypt(SCAN_XML) }));
    expect(opened).toMatchObject({ kind: "rejected", reason: "decrypt_failed" });
    expect(opened.kind === "rejected" && opened.detail).toMatch(/-40005/);
  });

  it("refuses bad base64, a missing Encrypt, an unknown encrypt_type, a missing key, a hostile inner body", () => {
    expect(openPushRequest(aesPost(SCAN_XML, { encrypt: "not*base64" }))).toMatchObject({ reason: "decrypt_failed" });
    const missing = aesPost(SCAN_XML);
    missing.body = "<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName></xml>";
    expect(openPushRequest(missing)).toMatchObject({ reason: "malformed" });
    const unknown = aesPost(SCAN_XML);
    unknown.query.set("encrypt_type", "des");
    expect(openPushRequest(unknown)).toMatchObject({ reason: "malformed" });
    expect(openPushRequest({ ...aesPost(SCAN_XML), config: { token: CONFIG.token, appId: CONFIG.appId } })).toMatchObject({ reason: "decrypt_failed" });
    expect(openPushRequest(aesPost(`<!DOCTYPE x [<!ENTITY a "b">]><xml><A>&a;</A></xml>`))).toMatchObject({ reason: "malformed" });
  });

  it("compatible mode: refuses clear fields that disagree with the encrypted copy", () => {
    const forged =
      "<FromUserName><![CDATA[oATTACKER000000000000000000]]></FromUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[login_other]]></EventKey>";
    expect(openPushRequest(aesPost(SCAN_XML, { plaintext: forged }))).toMatchObject({ kind: "rejected", reason: "plaintext_mismatch" });
    const extra = "<Content><![CDATA[not in the encrypted copy]]></Content>";
    expect(openPushRequest(aesPost(SCAN_XML, { plaintext: extra }))).toMatchObject({ reason: "plaintext_mismatch" });
  });

  it("compatible mode: a matching clear copy passes, and the decrypted message is returned", () => {
    const clear = SCAN_XML.replace(/^<xml><ToUserName><!\[CDATA\[gh_0a1b2c3d4e5f\]\]><\/ToUserName>/, "").replace(/<\/xml>$/, "");
    const opened = openPushRequest(aesPost(SCAN_XML, { plaintext: clear }));
    if (opened.kind !== "message") throw new Error(`not a message: ${JSON.stringify(opened)}`);
    expect(opened.encrypted).toBe(true);
    expect({ ...opened.fields }).toEqual(parseWechatXml(SCAN_XML));
    expect(opened.fields.Encrypt).toBeUndefined();
  });
});

describe("POST: freshness and size", () => {
  it("accepts the edges of the window and refuses beyond them, both ways", () => {
    for (const [offset, expected] of [
      [-300, "message"],
      [300, "message"],
      [-301, "rejected"],
      [301, "rejected"],
    ] as const) {
      const timestamp = String(Number(TIMESTAMP) + offset);
      expect(openPushRequest(plainPost(SCAN_XML, {}, timestamp)).kind).toBe(expected);
      expect(openPushRequest(aesPost(SCAN_XML, { timestamp })).kind).toBe(expected);
    }
    expect(openPushRequest(plainPost(SCAN_XML, {}, "1699990000"))).toMatchObject({ reason: "stale" });
    expect(openPushRequest(aesPost(SCAN_XML, { timestamp: "1700090000" }))).toMatchObject({ reason: "stale" });
    expect(openPushRequest({ ...plainPost(SCAN_XML, {}, "1699999000"), maxSkewSeconds: 1000 }).kind).toBe("message");
  });

  it("refuses non-numeric or missing timestamps and nonces as malformed", () => {
    for (const timestamp of ["", "abc", "1.7e9", "-1700000000", " 1700000000"]) {
      expect(openPushRequest(plainPost(SCAN_XML, {}, timestamp))).toMatchObject({ reason: "malformed" });
    }
    const noNonce = plainPost(SCAN_XML);
    noNonce.query.delete("nonce");
    expect(openPushRequest(noNonce)).toMatchObject({ reason: "malformed" });
  });

  it("refuses oversized bodies before reading them", () => {
    const big = `<xml><Content><![CDATA[${"x".repeat(70_000)}]]></Content></xml>`;
    expect(openPushRequest(plainPost(big))).toMatchObject({ reason: "too_large" });
    expect(openPushRequest({ ...plainPost(SCAN_XML), maxBytes: 100 })).toMatchObject({ reason: "too_large" });
    expect(openPushRequest({ ...plainPost(big), maxBytes: 80_000 }).kind).toBe("message");
  });
});

describe("buildReply", () => {
  const reply = "<xml><ToUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></ToUserName><Content><![CDATA[ok]]></Content></xml>";

  it("passes plaintext replies and bare acknowledgements through", () => {
    expect(buildReply({ request: { encrypted: false, nonce: NONCE }, reply, config: CONFIG })).toBe(reply);
    expect(buildReply({ request: { encrypted: true, nonce: NONCE }, reply: "success", config: CONFIG })).toBe("success");
    expect(buildReply({ request: { encrypted: true, nonce: NONCE }, reply: "", config: CONFIG })).toBe("");
  });

  it("encrypts replies to encrypted requests, echoing the nonce and signing with now", () => {
    const opened = openPushRequest(aesPost(SCAN_XML));
    if (opened.kind !== "message") throw new Error("not a message");
    const fields = parseWechatXml(buildReply({ request: opened, reply, config: CONFIG, now: NOW + 1500 }));
    expect(fields.Nonce).toBe(NONCE);
    expect(fields.TimeStamp).toBe("1700000001");
    expect(fields.MsgSignature).toBe(computeMsgSignature(CONFIG.token, "1700000001", NONCE, fields.Encrypt!));
    expect(crypto.decrypt(fields.Encrypt!)).toBe(reply);
  });

  it("reproduces the official reply vector", () => {
    const official: PushConfig = { token: "AAAAA", encodingAesKey: "A".repeat(43), appId: "wxba5fad812f8e6fb9" };
    const body = buildReply({
      request: { encrypted: true, nonce: "415670741" },
      reply: '{"demo_resp":"good luck"}',
      config: official,
      now: 1713424427_000,
      random: Buffer.from("707722b803182950"),
    });
    expect(parseWechatXml(body)).toMatchObject({
      Encrypt: "ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==",
      MsgSignature: "1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1",
    });
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_OA_ENCODING_AES_KEY, DEFAULT_OA_PUSH_TOKEN, OA_APP, openidFor } from "./config";
import { OA_UNAVAILABLE_MESSAGE } from "./push";
import type { DeliveryReport } from "./push";
import type { RunningEmulator } from "./server";
import { callCgi, callControl, createOaQr, fetchAppToken, startPushReceiver, startTestEmulator } from "./test-helpers";
import type { PushReceiver } from "./test-helpers";
import { computeSignature, decodeEncodingAesKey, encryptMessage } from "./wx-crypto";
import { buildXml, readXmlField } from "./wx-xml";

const PHONE_URL = "http://192.168.1.23:3999";
const TIMEOUT_MS = 250;
const ORIGINAL_ID = "gh_0a1b2c3d4e5f";
const LIN = openidFor(OA_APP.appid, "lin");

let emulator: RunningEmulator;
let receiver: PushReceiver;
let base: string;

beforeAll(async () => {
  receiver = await startPushReceiver({ token: DEFAULT_OA_PUSH_TOKEN, encodingAesKey: DEFAULT_OA_ENCODING_AES_KEY, appid: OA_APP.appid });
  emulator = await startTestEmulator({ phoneUrl: PHONE_URL, oaPushUrl: receiver.url, pushTimeoutMs: TIMEOUT_MS });
  base = emulator.url;
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});
beforeEach(async () => {
  await callControl(base, "reset", {});
  receiver.pushes.length = 0;
  receiver.answer = () => ({ body: "success" });
});

type ScanReport = DeliveryReport & { event: string; openid: string };

function scan(body: Record<string, unknown>) {
  return callControl<ScanReport>(base, "oa/scan", body);
}

function field(xml: string, name: string): string | undefined {
  return readXmlField(xml, name);
}

function textReply(content: string, to = LIN): string {
  return buildXml({ ToUserName: to, FromUserName: ORIGINAL_ID, CreateTime: 1700000200, MsgType: "text", Content: content });
}

function encryptReply(xml: string, token = DEFAULT_OA_PUSH_TOKEN): string {
  const encrypt = encryptMessage({ aesKey: decodeEncodingAesKey(DEFAULT_OA_ENCODING_AES_KEY), appid: OA_APP.appid, message: xml });
  const timestamp = "1700000300";
  const nonce = "1234567890";
  return buildXml({ Encrypt: encrypt, MsgSignature: computeSignature(token, timestamp, nonce, encrypt), TimeStamp: timestamp, Nonce: nonce });
}

function setMode(oaPushMode: "plaintext" | "compatible" | "safe") {
  return callControl(base, "settings", { oaPushMode });
}

describe("scanning the account's QR code", () => {
  it("as a new follower: subscribe with qrscene_<scene> and the Ticket, signed and encrypted (safe mode)", async () => {
    const qr = await createOaQr(base);
    const before = Math.floor(Date.now() / 1000);
    const report = await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({
      delivered: true,
      attempts: 1,
      status: 200,
      event: "subscribe",
      openid: LIN,
      mode: "safe",
      reply: { raw: "success", links: [] },
    });
    expect(report.body).not.toHaveProperty("userMessage");

    expect(receiver.pushes).toHaveLength(1);
    const push = receiver.pushes[0]!;
    expect(push.contentType).toBe("text/xml");
    expect([...push.query.keys()]).toEqual(["signature", "timestamp", "nonce", "openid", "encrypt_type", "msg_signature"]);
    expect(push.query.get("openid")).toBe(LIN);
    expect(push.signatureOk).toBe(true);
    expect(push.msgSignatureOk).toBe(true);
    // Safe mode: only ToUserName and Encrypt travel in the clear.
    expect(field(push.body, "ToUserName")).toBe(ORIGINAL_ID);
    expect(field(push.body, "Event")).toBeUndefined();
    expect(field(push.message, "ToUserName")).toBe(ORIGINAL_ID);
    expect(field(push.message, "FromUserName")).toBe(LIN);
    expect(field(push.message, "MsgType")).toBe("event");
    expect(field(push.message, "Event")).toBe("subscribe");
    expect(field(push.message, "EventKey")).toBe("qrscene_login_abc");
    expect(field(push.message, "Ticket")).toBe(qr.ticket);
    expect(Number(field(push.message, "CreateTime"))).toBeGreaterThanOrEqual(before);
    expect(push.message).toMatch(/<CreateTime>\d+<\/CreateTime>/);
    expect(report.body.message).toBe(push.message);

    const token = await fetchAppToken(base);
    const info = await callCgi(base, "user/info", { query: { access_token: token, openid: LIN } });
    expect(info.body).toMatchObject({ subscribe: 1, subscribe_scene: "ADD_SCENE_QR_CODE", qr_scene: 0, qr_scene_str: "login_abc" });
    expect((await callControl(base, "stats")).body).toMatchObject({ pushes: { sent: 1, failed: 0, retries: 0 } });
  });

  it("as an existing follower: SCAN with the bare scene (integer as text), following first if needed", async () => {
    const qr = await createOaQr(base, { expire_seconds: 120, action_name: "QR_SCENE", action_info: { scene: { scene_id: 4242 } } });
    const report = await scan({ ticket: qr.ticket, user: "wang", as: "existing" });
    expect(report.body).toMatchObject({ delivered: true, event: "SCAN" });
    const message = receiver.pushes[0]!.message;
    expect(field(message, "Event")).toBe("SCAN");
    expect(field(message, "EventKey")).toBe("4242");
    expect(field(message, "Ticket")).toBe(qr.ticket);
    expect(field(message, "FromUserName")).toBe(openidFor(OA_APP.appid, "wang"));

    const followers = await callControl<{ user: string; subscribeScene: string }[]>(base, "oa/followers");
    expect(followers.body).toEqual([expect.objectContaining({ user: "wang", subscribeScene: "ADD_SCENE_OTHERS" })]);

    await scan({ ticket: qr.ticket, user: "wang", as: "new" });
    expect(field(receiver.pushes[1]!.message, "EventKey")).toBe("qrscene_4242");
    const token = await fetchAppToken(base);
    const info = await callCgi(base, "user/info", { query: { access_token: token, openid: openidFor(OA_APP.appid, "wang") } });
    expect(info.body).toMatchObject({ subscribe: 1, subscribe_scene: "ADD_SCENE_QR_CODE", qr_scene: 4242, qr_scene_str: "" });
  });

  it("finds the code by its weixin.qq.com url or by scene; 404 for unknown, 409 once expired", async () => {
    const qr = await createOaQr(base, { expire_seconds: 60, action_name: "QR_STR_SCENE", action_info: { scene: { scene_str: "s1" } } });
    expect((await scan({ url: qr.url, user: "zhang", as: "new" })).body.delivered).toBe(true);
    expect((await scan({ scene: "s1", user: "zhang", as: "existing" })).body.event).toBe("SCAN");
    expect(receiver.pushes.map((push) => field(push.message, "Ticket"))).toEqual([qr.ticket, qr.ticket]);

    expect((await scan({ ticket: "gQnope==", user: "lin" })).status).toBe(404);
    expect((await scan({ ticket: qr.ticket, url: qr.url })).status).toBe(400);
    expect((await scan({ ticket: qr.ticket, user: "nobody" })).status).toBe(400);
    await callControl(base, "clock", { advanceSeconds: 61 });
    const expired = await scan({ ticket: qr.ticket, user: "lin" });
    expect(expired.status).toBe(409);
    expect(receiver.pushes).toHaveLength(2);
  });

  it("pushes scene 0 for a code created without the scene wrapper", async () => {
    const qr = await createOaQr(base, { expire_seconds: 60, action_name: "QR_STR_SCENE", action_info: { scene_str: "lost" } });
    await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(field(receiver.pushes[0]!.message, "EventKey")).toBe("qrscene_0");
  });
});

describe("push modes", () => {
  it("plaintext: the event XML as body, signature only", async () => {
    await setMode("plaintext");
    const qr = await createOaQr(base);
    const report = await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(report.body.mode).toBe("plaintext");
    const push = receiver.pushes[0]!;
    expect([...push.query.keys()]).toEqual(["signature", "timestamp", "nonce", "openid"]);
    expect(push.signatureOk).toBe(true);
    expect(push.msgSignatureOk).toBeUndefined();
    expect(push.body).toBe(push.message);
    expect(field(push.body, "Event")).toBe("subscribe");
    expect(field(push.body, "Encrypt")).toBeUndefined();
  });

  it("compatible: the plaintext fields plus Encrypt, which decrypts to the same event", async () => {
    await setMode("compatible");
    const qr = await createOaQr(base);
    await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    const push = receiver.pushes[0]!;
    expect(push.query.get("encrypt_type")).toBe("aes");
    expect(push.signatureOk).toBe(true);
    expect(push.msgSignatureOk).toBe(true);
    expect(field(push.body, "Event")).toBe("subscribe");
    expect(field(push.body, "EventKey")).toBe("qrscene_login_abc");
    expect(field(push.body, "Encrypt")).toEqual(expect.any(String));
    expect(field(push.message, "EventKey")).toBe("qrscene_login_abc");
    expect(field(push.message, "Encrypt")).toBeUndefined();
  });

  it("uses the push token and EncodingAESKey from the settings", async () => {
    const other = await startPushReceiver({ token: "otherToken99", encodingAesKey: "Z".repeat(43), appid: OA_APP.appid });
    try {
      await callControl(base, "settings", { oaPushUrl: other.url, oaPushToken: "otherToken99", oaEncodingAesKey: "Z".repeat(43) });
      const qr = await createOaQr(base);
      expect((await scan({ ticket: qr.ticket, user: "lin" })).body.delivered).toBe(true);
      expect(other.pushes[0]).toMatchObject({ signatureOk: true, msgSignatureOk: true });
      expect(field(other.pushes[0]!.message, "Event")).toBe("subscribe");
      const bad = await callControl(base, "settings", { oaEncodingAesKey: "too-short" });
      expect(bad.status).toBe(400);
    } finally {
      await other.close();
    }
    await callControl(base, "reset", {});
    expect((await callControl(base, "settings")).body).toMatchObject({ oaPushUrl: receiver.url, oaPushToken: DEFAULT_OA_PUSH_TOKEN });
  });
});

describe("retries and failures", () => {
  it("drops an answer slower than pushTimeoutMs and tries 3 times in all with the same body and CreateTime", async () => {
    receiver.answer = () => ({ body: "success", delayMs: TIMEOUT_MS * 3 });
    const qr = await createOaQr(base);
    const started = Date.now();
    const report = await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS * 3 - 20);
    expect(report.body).toMatchObject({
      delivered: false,
      attempts: 3,
      status: null,
      reply: null,
      userMessage: OA_UNAVAILABLE_MESSAGE,
      error: expect.stringMatching(/no answer within 250 ms/),
    });
    expect(receiver.pushes).toHaveLength(3);
    const [first, second, third] = receiver.pushes;
    expect(second!.body).toBe(first!.body);
    expect(third!.body).toBe(first!.body);
    expect(new Set(receiver.pushes.map((push) => field(push.message, "CreateTime"))).size).toBe(1);
    expect(new Set(receiver.pushes.map((push) => push.query.get("nonce"))).size).toBe(3);
    expect(receiver.pushes.every((push) => push.signatureOk && push.msgSignatureOk)).toBe(true);
    expect((await callControl(base, "stats")).body).toMatchObject({ pushes: { sent: 1, failed: 1, retries: 2 } });
    // The follow happened all the same.
    expect((await callControl<unknown[]>(base, "oa/followers")).body).toHaveLength(1);
  });

  it("counts a retry that gets through as delivered", async () => {
    receiver.answer = (_push, index) => (index === 0 ? { body: "success", delayMs: TIMEOUT_MS * 3 } : { body: "" });
    const qr = await createOaQr(base);
    const report = await scan({ ticket: qr.ticket, user: "lin" });
    expect(report.body).toMatchObject({ delivered: true, attempts: 2, status: 200, reply: { raw: "" } });
    expect((await callControl(base, "stats")).body).toMatchObject({ pushes: { sent: 1, failed: 0, retries: 1 } });
  });

  it("fails at once, without retrying, on a non-2xx status, JSON or garbage", async () => {
    const qr = await createOaQr(base);
    const answers = [{ status: 500, body: "oops" }, { body: '{"errcode":0}', contentType: "application/json" }, { body: "OK" }, { status: 302, body: "" }];
    for (const answer of answers) {
      receiver.pushes.length = 0;
      receiver.answer = () => answer;
      const report = await scan({ ticket: qr.ticket, user: "lin", as: "existing" });
      expect(report.body, JSON.stringify(answer)).toMatchObject({ delivered: false, attempts: 1, userMessage: OA_UNAVAILABLE_MESSAGE });
      expect(report.body.status).toBe(answer.status ?? 200);
      expect(receiver.pushes).toHaveLength(1);
    }
  });

  it("fails when nothing listens on the push URL", async () => {
    await callControl(base, "settings", { oaPushUrl: "http://127.0.0.1:9/api/wechat/events" });
    const qr = await createOaQr(base);
    const report = await scan({ ticket: qr.ticket, user: "lin" });
    expect(report.body).toMatchObject({ delivered: false, attempts: 3, status: null, userMessage: OA_UNAVAILABLE_MESSAGE });
  });
});

describe("passive replies", () => {
  it("parses a plaintext text reply; only http(s) anchors become links", async () => {
    await setMode("plaintext");
    const content =
      '请点击 <a href="http://localhost:3000/oa/confirm?t=abc&amp;x=1">确认登录</a>，或 <a href="javascript:alert(1)">这里</a> <a href=\'https://example.com/b\'>B</a>';
    receiver.answer = () => ({ body: textReply(content), contentType: "application/xml" });
    const qr = await createOaQr(base);
    const report = await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(report.body.delivered).toBe(true);
    expect(report.body.reply).toMatchObject({
      msgType: "text",
      content,
      links: ["http://localhost:3000/oa/confirm?t=abc&amp;x=1", "https://example.com/b"],
      parts: [
        { text: "请点击 " },
        { text: "确认登录", href: "http://localhost:3000/oa/confirm?t=abc&amp;x=1" },
        { text: '，或 <a href="javascript:alert(1)">这里</a> ' },
        { text: "B", href: "https://example.com/b" },
      ],
    });
    expect(report.body.reply?.xml).toBe(textReply(content));
  });

  it("rejects a reply addressed to someone else or without MsgType", async () => {
    await setMode("plaintext");
    const qr = await createOaQr(base);
    receiver.answer = () => ({ body: textReply("hi", openidFor(OA_APP.appid, "zhang")) });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body).toMatchObject({ delivered: false, error: expect.stringMatching(/ToUserName/) });
    receiver.answer = () => ({ body: buildXml({ ToUserName: LIN, FromUserName: ORIGINAL_ID, Content: "x" }) });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body).toMatchObject({ delivered: false, error: expect.stringMatching(/MsgType/) });
  });

  it("verifies and decrypts an encrypted reply in safe mode; a bad MsgSignature or a plaintext reply fails", async () => {
    const qr = await createOaQr(base);
    receiver.answer = () => ({ body: encryptReply(textReply('<a href="https://app.test/c">确认</a>')) });
    const good = await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    expect(good.body).toMatchObject({ delivered: true, reply: { msgType: "text", links: ["https://app.test/c"] } });
    expect(good.body.reply?.raw).toContain("<Encrypt>");

    receiver.answer = () => ({ body: encryptReply(textReply("x"), "wrongToken") });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body).toMatchObject({
      delivered: false,
      error: "reply MsgSignature does not match",
      userMessage: OA_UNAVAILABLE_MESSAGE,
    });

    receiver.answer = () => ({ body: textReply("x") });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body).toMatchObject({ delivered: false, error: expect.stringMatching(/safe mode/) });
  });

  it("accepts either reply form in compatible mode, no encrypted one in plaintext mode", async () => {
    await setMode("compatible");
    const qr = await createOaQr(base);
    receiver.answer = () => ({ body: textReply("plain") });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body.reply?.content).toBe("plain");
    receiver.answer = () => ({ body: encryptReply(textReply("secret")) });
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body.reply?.content).toBe("secret");
    await setMode("plaintext");
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body.delivered).toBe(false);
  });

  it("reports non-text replies by MsgType", async () => {
    await setMode("plaintext");
    receiver.answer = () => ({
      body: `<xml><ToUserName><![CDATA[${LIN}]]></ToUserName><FromUserName><![CDATA[${ORIGINAL_ID}]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[T]]></Title></item></Articles></xml>`,
    });
    const qr = await createOaQr(base);
    expect((await scan({ ticket: qr.ticket, user: "lin" })).body.reply).toMatchObject({ msgType: "news", links: [] });
  });
});

describe("arbitrary pushes, forgeries and replays", () => {
  it("sends an event built from fields, or raw XML", async () => {
    const report = await callControl<DeliveryReport>(base, "oa/push", { user: "zhang", event: { Event: "unsubscribe", EventKey: "" } });
    expect(report.body.delivered).toBe(true);
    const message = receiver.pushes[0]!.message;
    expect(field(message, "Event")).toBe("unsubscribe");
    expect(field(message, "FromUserName")).toBe(openidFor(OA_APP.appid, "zhang"));
    expect(field(message, "ToUserName")).toBe(ORIGINAL_ID);

    const xml = buildXml({ ToUserName: "gh_forged", FromUserName: LIN, CreateTime: 1, MsgType: "event", Event: "subscribe" });
    await callControl(base, "oa/push", { user: "lin", xml });
    expect(receiver.pushes[1]!.message).toBe(xml);
    expect((await callControl(base, "oa/push", { user: "lin" })).status).toBe(400);
  });

  it("signs with a wrong token when badSignature is set", async () => {
    receiver.answer = (push) => (push.signatureOk ? { body: "success" } : { status: 401, body: "bad signature" });
    const report = await callControl<DeliveryReport>(base, "oa/push", { user: "lin", event: { Event: "subscribe" }, badSignature: true });
    expect(receiver.pushes[0]).toMatchObject({ signatureOk: false, msgSignatureOk: false });
    expect(report.body).toMatchObject({ delivered: false, status: 401, userMessage: OA_UNAVAILABLE_MESSAGE });
  });

  it("replays the last push byte for byte", async () => {
    expect((await callControl(base, "oa/replay-last", {})).status).toBe(409);
    const qr = await createOaQr(base);
    await scan({ ticket: qr.ticket, user: "lin", as: "new" });
    const replay = await callControl<DeliveryReport>(base, "oa/replay-last", {});
    expect(replay.body).toMatchObject({ delivered: true, attempts: 1 });
    expect(replay.body.message).toBe(receiver.pushes[0]!.message);
    const [original, replayed] = receiver.pushes;
    expect(replayed!.query.toString()).toBe(original!.query.toString());
    expect(replayed!.body).toBe(original!.body);
  });
});

describe("the phone scan page", () => {
  it("serves /oa/scan by ticket or url, 404 for unknown codes", async () => {
    const qr = await createOaQr(base);
    for (const query of [`ticket=${encodeURIComponent(qr.ticket)}`, `url=${encodeURIComponent(qr.url)}`]) {
      const response = await fetch(`${base}/oa/scan?${query}`);
      expect(response.status).toBe(200);
      const html = await response.text();
      for (const id of ["phone-user", "oa-scan-new", "oa-scan-existing", "oa-reply", "oa-error"]) expect(html).toContain(`id="${id}"`);
      expect(html).toContain("以新关注者身份扫码");
      expect(html).toContain("以已关注者身份扫码");
      expect(html).toContain("Demo Official Account");
    }
    expect((await fetch(`${base}/oa/scan?ticket=nope`)).status).toBe(404);
  });
});

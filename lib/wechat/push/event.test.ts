import { describe, expect, it } from "vitest";
import { parsePushEvent, pushDedupKey, type PushEvent } from "./event";
import { parseWechatXml } from "./xml";

const BASE = { ToUserName: "gh_0a1b2c3d4e5f", FromUserName: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A", CreateTime: "1700000123" };

function parsed(fields: Record<string, string>): PushEvent {
  const result = parsePushEvent(fields);
  if (!result.ok) throw new Error(result.error);
  return result.event;
}

describe("parsePushEvent", () => {
  it("reads the §B3 subscribe-through-QR event, stripping qrscene_", () => {
    const fields = parseWechatXml(
      "<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName><FromUserName><![CDATA[oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A]]></FromUserName>" +
        "<CreateTime>1700000123</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>" +
        "<EventKey><![CDATA[qrscene_login_5f1c9a2e]]></EventKey><Ticket><![CDATA[gQF...AAA==]]></Ticket></xml>",
    );
    expect(parsed(fields)).toMatchObject({
      type: "subscribe",
      fromUser: "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A",
      toUser: "gh_0a1b2c3d4e5f",
      createTime: 1700000123,
      scene: "login_5f1c9a2e",
      ticket: "gQF...AAA==",
      eventKey: "qrscene_login_5f1c9a2e",
    });
  });

  it("reads SCAN with the scene as sent (no prefix), integer scenes as text", () => {
    expect(parsed({ ...BASE, MsgType: "event", Event: "SCAN", EventKey: "login_5f1c9a2e", Ticket: "gQF...AAA==" })).toMatchObject({
      type: "scan",
      scene: "login_5f1c9a2e",
      ticket: "gQF...AAA==",
    });
    expect(parsed({ ...BASE, MsgType: "event", Event: "SCAN", EventKey: "123", Ticket: "t" })).toMatchObject({ type: "scan", scene: "123" });
  });

  it("gives an ordinary follow no scene or ticket, whether EventKey is absent or empty", () => {
    const extras: Record<string, string>[] = [{}, { EventKey: "" }, { EventKey: "", Ticket: "" }];
    for (const extra of extras) {
      expect(parsed({ ...BASE, MsgType: "event", Event: "subscribe", ...extra })).toMatchObject({
        type: "subscribe",
        scene: undefined,
        ticket: undefined,
        eventKey: undefined,
      });
    }
    expect(parsed({ ...BASE, MsgType: "event", Event: "subscribe", EventKey: "qrscene_" })).toMatchObject({ scene: undefined });
    expect(parsed({ ...BASE, MsgType: "event", Event: "subscribe", EventKey: "something" })).toMatchObject({ scene: undefined, eventKey: "something" });
  });

  it("passes the qrscene_0 pitfall through as scene 0", () => {
    expect(parsed({ ...BASE, MsgType: "event", Event: "subscribe", EventKey: "qrscene_0", Ticket: "t" })).toMatchObject({ scene: "0" });
  });

  it("reads unsubscribe, other events and messages", () => {
    expect(parsed({ ...BASE, MsgType: "event", Event: "unsubscribe", EventKey: "" })).toMatchObject({ type: "unsubscribe", createTime: 1700000123 });
    expect(parsed({ ...BASE, MsgType: "event", Event: "CLICK", EventKey: "MENU_1" })).toMatchObject({ type: "event", event: "CLICK", eventKey: "MENU_1" });
    const text = parsed({ ...BASE, MsgType: "text", Content: "你好", MsgId: "23456789012345678901" });
    expect(text).toMatchObject({ type: "message", msgType: "text", content: "你好", msgId: "23456789012345678901" });
    expect(text.fields.Content).toBe("你好");
  });

  it.each([
    ["SCAN without Ticket", { ...BASE, MsgType: "event", Event: "SCAN", EventKey: "x" }],
    ["SCAN without EventKey", { ...BASE, MsgType: "event", Event: "SCAN", Ticket: "t" }],
    ["no FromUserName", { ToUserName: BASE.ToUserName, CreateTime: BASE.CreateTime, MsgType: "event", Event: "unsubscribe" }],
    ["an openid with markup", { ...BASE, FromUserName: "<script>", MsgType: "event", Event: "unsubscribe" }],
    ["a CreateTime that is not unix seconds", { ...BASE, CreateTime: "2024-01-01", MsgType: "event", Event: "unsubscribe" }],
    ["an event without Event", { ...BASE, MsgType: "event" }],
    ["no MsgType", { ...BASE }],
    ["a MsgId that is not an integer", { ...BASE, MsgType: "text", MsgId: "1e3" }],
  ])("refuses %s", (_, fields) => {
    const result = parsePushEvent(fields as Record<string, string>);
    expect(result.ok).toBe(false);
  });
});

describe("pushDedupKey", () => {
  it("keys events by FromUserName:CreateTime (plus event and key) and messages by MsgId", () => {
    expect(pushDedupKey(parsed({ ...BASE, MsgType: "event", Event: "SCAN", EventKey: "x", Ticket: "t" }))).toBe(
      "oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A:1700000123:SCAN:x",
    );
    // Two scans of different QR codes in one second are two events.
    expect(pushDedupKey(parsed({ ...BASE, MsgType: "event", Event: "SCAN", EventKey: "y", Ticket: "t" }))).not.toBe(
      pushDedupKey(parsed({ ...BASE, MsgType: "event", Event: "SCAN", EventKey: "x", Ticket: "t" })),
    );
    expect(pushDedupKey(parsed({ ...BASE, MsgType: "text", Content: "hi", MsgId: "23456789012345678901" }))).toBe("msg:23456789012345678901");
    expect(pushDedupKey(parsed({ ...BASE, MsgType: "text", Content: "hi" }))).toBe("oZx8d5Qk2Lm7Np1Rs4Tu6Vw9Xy3A:1700000123");
  });
});

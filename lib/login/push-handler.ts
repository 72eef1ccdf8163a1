/**
 * What the Official Account does with a verified push: scans of our login QR (a `subscribe`
 * with `qrscene_<scene>` from a new follower, or `SCAN` from an existing one) move the ticket
 * to "scanned" and answer the scanner, in their chat, with the one-time confirm link. Every
 * other push is acknowledged with `success`. Each event is handled once: WeChat's retries and
 * replays (same FromUserName + CreateTime) are acknowledged and change nothing.
 *
 * @see docs/wechat-protocol.md §B3
 */
import "server-only";
import { recordFirstDelivery } from "@/lib/db/push-events";
import { allLocales, inAllLocales } from "@/lib/i18n/messages";
import { logger } from "@/lib/logger";
import { parsePushEvent, pushDedupKey, type PushEvent } from "@/lib/wechat/push/event";
import { buildTextReplyXml } from "@/lib/wechat/push/xml";
import { recordScan } from "./follow-to-login";

const ACK = "success";

/**
 * Records `key` and says whether it is new. Keys are event ids (FromUserName + CreateTime) and
 * request ids (timestamp + nonce): in plaintext mode the signature does not cover the body, so a
 * captured signed URL must not carry a second body.
 */
export async function isFirstDelivery(key: string): Promise<boolean> {
  return recordFirstDelivery(key);
}

function textReply(event: PushEvent, content: string): string {
  return buildTextReplyXml({ toUser: event.fromUser, fromUser: event.toUser, createTime: Math.floor(Date.now() / 1000), content });
}

/** Handles one verified push and returns the passive reply (plaintext XML) or `success`. */
export async function handlePush(fields: Record<string, string>, origin: string): Promise<string> {
  const parsed = parsePushEvent(fields);
  if (!parsed.ok) {
    logger.warn("wechat.push.unparsed", { error: parsed.error.slice(0, 200) });
    return ACK;
  }
  const event = parsed.event;
  const scene = event.type === "scan" || event.type === "subscribe" ? event.scene : undefined;
  if (!scene?.startsWith("login_")) return ACK;
  if (!(await isFirstDelivery(pushDedupKey(event)))) {
    logger.info("wechat.push.duplicate", { type: event.type });
    return ACK;
  }
  const result = await recordScan(scene, event.fromUser);
  logger.info("wechat.push.scan", { type: event.type, result: result.kind });
  switch (result.kind) {
    case "confirm_link": {
      const link = `${origin}/login/confirm?t=${result.confirmToken}`;
      return textReply(event, `${inAllLocales("push.scanned")}\n<a href="${link}">${allLocales("push.confirmLink").join(" / ")}</a>`);
    }
    case "expired":
      return textReply(event, inAllLocales("push.expired"));
    case "taken":
      return textReply(event, inAllLocales("push.taken"));
    case "finished":
      return textReply(event, inAllLocales("push.finished"));
    case "unknown":
      return ACK;
  }
}

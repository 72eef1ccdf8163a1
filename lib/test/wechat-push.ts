/**
 * Pushes of the demo Official Account as WeChat sends them to /api/wechat/events: scan events,
 * signed queries, safe-mode (encrypted) and plaintext bodies, and the reply the scanner sees.
 */
import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { WechatMessageCrypto } from "@/lib/wechat/push/crypto";
import { computeMsgSignature, computeSignature } from "@/lib/wechat/push/signature";
import { parseWechatXml } from "@/lib/wechat/push/xml";

const OA = DEMO_OFFICIAL_ACCOUNT;
const EVENTS_URL = "http://localhost:3998/api/wechat/events";

/** The demo account's message crypto (its Token, EncodingAESKey and appid). */
export const pushCrypto = new WechatMessageCrypto({ token: OA.token, encodingAesKey: OA.encodingAesKey, appId: OA.appId });

export type ScanOptions = { event?: "SCAN" | "subscribe"; createTime?: number; toUser?: string };

/**
 * The fields of a scan of our login QR, without the `<xml>` root: `SCAN` from a follower, or a
 * new follower's `subscribe` whose EventKey carries the `qrscene_` prefix.
 */
export function scanFields(openid: string, scene: string, options: ScanOptions = {}): string {
  const event = options.event ?? "SCAN";
  const key = event === "subscribe" ? `qrscene_${scene}` : scene;
  const createTime = options.createTime ?? Math.floor(Date.now() / 1000);
  return `<ToUserName><![CDATA[${options.toUser ?? OA.originalId}]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event><EventKey><![CDATA[${key}]]></EventKey><Ticket><![CDATA[t]]></Ticket>`;
}

export function scanXml(openid: string, scene: string, options: ScanOptions = {}): string {
  return `<xml>${scanFields(openid, scene, options)}</xml>`;
}

/** A query signed as WeChat signs every request: `signature` over the Token, timestamp and nonce. */
export function signedQuery(options: { timestamp?: number; nonce?: string; extra?: Record<string, string> } = {}): URLSearchParams {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE());
  return new URLSearchParams({ signature: computeSignature(OA.token, timestamp, nonce), timestamp, nonce, ...options.extra });
}

/** WeChat's URL check (or any GET) of the events route with `query`. */
export function urlCheck(query: URLSearchParams): NextRequest {
  return new NextRequest(`${EVENTS_URL}?${query}`);
}

/** A POST of `body` to the events route with `query`. */
export function pushRequest(query: URLSearchParams, body: string): NextRequest {
  return new NextRequest(`${EVENTS_URL}?${query}`, { method: "POST", body, headers: { "content-type": "text/xml" } });
}

/**
 * A push as WeChat sends it in safe mode: `xml` encrypted and signed with `msg_signature`.
 * `badSignature` breaks that signature; `plaintext` adds compatible mode's clear copy of the
 * fields, and `outerToUser` names another account on the clear side.
 */
export function encryptedPush(
  xml: string,
  options: { timestamp?: number; nonce?: string; badSignature?: boolean; plaintext?: string; outerToUser?: string } = {},
): NextRequest {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE());
  const encrypt = pushCrypto.encrypt(xml);
  const msgSignature = options.badSignature ? "0".repeat(40) : computeMsgSignature(OA.token, String(timestamp), nonce, encrypt);
  const query = signedQuery({ timestamp, nonce, extra: { encrypt_type: "aes", msg_signature: msgSignature } });
  const clear = options.plaintext ?? `<ToUserName><![CDATA[${options.outerToUser ?? OA.originalId}]]></ToUserName>`;
  return pushRequest(query, `<xml>${clear}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
}

/** A body sent as is under a valid `signature`; `encrypted` labels it `encrypt_type=aes` so the body is parsed first. */
export function plainPush(body: string, options: { encrypted?: boolean } = {}): NextRequest {
  return pushRequest(signedQuery({ extra: options.encrypted ? { encrypt_type: "aes", msg_signature: "0".repeat(40) } : {} }), body);
}

/** The text WeChat would show the scanner: the decrypted passive reply's Content. */
export async function replyContent(response: Response): Promise<string | undefined> {
  const body = await response.text();
  if (!body.startsWith("<xml>")) return undefined;
  const outer = parseWechatXml(body);
  return parseWechatXml(pushCrypto.decrypt(outer.Encrypt!)).Content;
}

/**
 * Follow-to-login end to end below the browser: tickets against the emulator's Official Account
 * over HTTP, and the push webhook route handler fed signed, forged, replayed, stale and hostile
 * requests, on the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { randomBytes } from "node:crypto";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor, unionidFor } from "@/emulator/config";
import { GET, POST } from "@/app/api/wechat/events/route";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { WechatMessageCrypto } from "@/lib/wechat/push/crypto";
import { parseWechatXml } from "@/lib/wechat/push/xml";
import { computeMsgSignature, computeSignature } from "@/lib/wechat/push/signature";
import { confirmTicket, createLoginTicket, getTicketForBrowser, redeemTicket } from "./follow-to-login";
import { AppError } from "@/lib/errors";

const ORIGIN = "http://localhost:3998";
const OA = DEMO_OFFICIAL_ACCOUNT;
const crypto = new WechatMessageCrypto({ token: OA.token, encodingAesKey: OA.encodingAesKey, appId: OA.appId });
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

async function stats(): Promise<Record<string, number>> {
  return (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as Record<string, number>;
}

function scanXml(openid: string, scene: string, createTime: number, event: "SCAN" | "subscribe" = "SCAN"): string {
  const key = event === "subscribe" ? `qrscene_${scene}` : scene;
  return `<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event><EventKey><![CDATA[${key}]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>`;
}

/** A push as WeChat sends it in safe mode, signed; `tamper` breaks it in one chosen way. */
function safePush(xml: string, options: { timestamp?: number; nonce?: string; badSignature?: boolean } = {}): NextRequest {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE());
  const encrypt = crypto.encrypt(xml);
  const query = new URLSearchParams({
    signature: computeSignature(OA.token, timestamp, nonce),
    timestamp,
    nonce,
    openid: "ignored",
    encrypt_type: "aes",
    msg_signature: options.badSignature ? "0".repeat(40) : computeMsgSignature(OA.token, timestamp, nonce, encrypt),
  });
  const body = `<xml><ToUserName><![CDATA[gh_0a1b2c3d4e5f]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
  return new NextRequest(`${ORIGIN}/api/wechat/events?${query}`, { method: "POST", body, headers: { "content-type": "text/xml" } });
}

/** A body sent as is under a valid `signature`; `encrypted` labels it `encrypt_type=aes` so the body is parsed first. */
function plainPush(body: string, options: { encrypted?: boolean } = {}): NextRequest {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE());
  const query = new URLSearchParams({ signature: computeSignature(OA.token, timestamp, nonce), timestamp, nonce, ...(options.encrypted ? { encrypt_type: "aes", msg_signature: "0".repeat(40) } : {}) });
  return new NextRequest(`${ORIGIN}/api/wechat/events?${query}`, { method: "POST", body, headers: { "content-type": "text/xml" } });
}

/** The text WeChat would show the scanner: the decrypted passive reply's Content. */
async function replyContent(response: Response): Promise<string | undefined> {
  const body = await response.text();
  if (!body.startsWith("<xml>")) return undefined;
  const outer = parseWechatXml(body);
  return parseWechatXml(crypto.decrypt(outer.Encrypt!)).Content;
}

async function newTicket() {
  const binding = randomToken(32);
  const ticket = await createLoginTicket({ bindingHash: sha256(binding), returnTo: "/account", ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
  const prisma = await db();
  const { scene } = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { ticket, binding, scene };
}

describe.each(testDatabases())("follow-to-login on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    // A fresh database per run, but the process-level token cache would survive: clear it.
    (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
  });

  it("fetches the app access token once from stable_token, not once per QR", async () => {
    await newTicket();
    await newTicket();
    await newTicket();
    const counts = await stats();
    expect(counts["cgi-bin/qrcode/create"]).toBe(3);
    expect(counts["cgi-bin/stable_token"]).toBe(1);
    expect(counts["cgi-bin/token"]).toBe(0);
  });

  it("fetches a fresh app token when the stored one was sealed under another secret", async () => {
    await newTicket();
    const prisma = await db();
    await prisma.appAccessToken.updateMany({ data: { tokenEnc: "v1.bm90.c2VhbGVk.YnlfdXM" } });
    (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
    await expect(newTicket()).resolves.toMatchObject({ ticket: { status: "waiting" } });
  });

  it("answers WeChat's URL check only with a valid signature", async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const query = new URLSearchParams({ signature: computeSignature(OA.token, timestamp, "42"), timestamp, nonce: "42", echostr: "8251426364892390123" });
    const good = await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`));
    expect(await good.text()).toBe("8251426364892390123");
    query.set("signature", "f".repeat(40));
    expect((await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`))).status).toBe(403);
  });

  it("a signed scan moves the ticket to scanned and replies with a confirm link; the right number confirms; only the binding browser redeems, once", async () => {
    const { ticket, binding, scene } = await newTicket();
    const openid = openidFor(OA.appId, "lin");
    const response = await POST(safePush(scanXml(openid, scene, Math.floor(Date.now() / 1000))));
    expect(response.status).toBe(200);
    const content = await replyContent(response);
    const token = /\/login\/confirm\?t=([A-Za-z0-9_-]{43})/.exec(content ?? "")?.[1];
    expect(token).toBeDefined();
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("scanned");

    expect(await confirmTicket(token!, ticket.matchCode)).toBe("confirmed");
    await expect(redeemTicket(ticket.id, sha256(randomToken(32)), { userAgent: null, ip: null })).rejects.toMatchObject({ code: "not_found" });
    const session = await redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null });
    expect(session.returnTo).toBe("/account");
    await expect(redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null })).rejects.toBeInstanceOf(AppError);
    const prisma = await db();
    const user = await prisma.user.findFirstOrThrow({ where: { sessions: { some: { sessionToken: session.sessionToken } } } });
    expect(user.unionid).toBe(unionidFor("demo", "lin"));
  });

  it("a new follower's subscribe (qrscene_ prefix) completes the scan too", async () => {
    const { ticket, binding, scene } = await newTicket();
    const response = await POST(safePush(scanXml(openidFor(OA.appId, "wang"), scene, Math.floor(Date.now() / 1000), "subscribe")));
    expect(await replyContent(response)).toContain("/login/confirm?t=");
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("scanned");
  });

  it("refuses forged, replayed, stale, oversized and XXE pushes without touching the ticket", async () => {
    const { ticket, binding, scene } = await newTicket();
    const xml = scanXml(openidFor(OA.appId, "zhang"), scene, Math.floor(Date.now() / 1000));
    const statusNow = async () => (await getTicketForBrowser(ticket.id, sha256(binding))).status;

    expect((await POST(safePush(xml, { badSignature: true }))).status).toBe(403);
    expect((await POST(safePush(xml, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(403);
    const oversized = `<xml><ToUserName>${"a".repeat(70_000)}</ToUserName></xml>`;
    expect((await POST(plainPush(oversized))).status).toBe(413);
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><ToUserName>&e;</ToUserName><FromUserName>x</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>SCAN</Event><EventKey>${scene}</EventKey><Ticket>t</Ticket></xml>`;
    expect((await POST(plainPush(xxe, { encrypted: true }))).status).toBe(400);
    expect((await POST(plainPush("not xml at all", { encrypted: true }))).status).toBe(400);
    // With an EncodingAESKey configured, a well-signed plaintext push is no proof.
    expect((await POST(plainPush(xml))).status).toBe(403);
    expect(await statusNow()).toBe("waiting");

    // The genuine push, then the same request replayed, then WeChat's own retry of the event.
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await POST(safePush(xml, { timestamp, nonce: "777" }));
    expect(await replyContent(first)).toContain("/login/confirm?t=");
    expect((await POST(safePush(xml, { timestamp, nonce: "777" }))).status).toBe(403);
    const retry = await POST(safePush(xml, { nonce: "778" }));
    expect(await retry.text()).toBe("success");
    expect(await statusNow()).toBe("scanned");
  });

  it("tells a second scanner the QR is taken, and a late scanner that it expired", async () => {
    const { scene } = await newTicket();
    const now = Math.floor(Date.now() / 1000);
    await POST(safePush(scanXml(openidFor(OA.appId, "lin"), scene, now)));
    expect(await replyContent(await POST(safePush(scanXml(openidFor(OA.appId, "zhang"), scene, now + 1))))).toContain("已被其他微信扫描");

    const late = await newTicket();
    const prisma = await db();
    await prisma.loginTicket.update({ where: { id: late.ticket.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await replyContent(await POST(safePush(scanXml(openidFor(OA.appId, "lin"), late.scene, now + 2))))).toContain("二维码已过期");
    expect((await getTicketForBrowser(late.ticket.id, sha256(late.binding))).status).toBe("expired");
  });

  it("a wrong number cancels the ticket for good", async () => {
    const { ticket, binding, scene } = await newTicket();
    const content = await replyContent(await POST(safePush(scanXml(openidFor(OA.appId, "li"), scene, Math.floor(Date.now() / 1000)))));
    const token = /\?t=([A-Za-z0-9_-]{43})/.exec(content ?? "")![1]!;
    const wrong = ticket.matchCode === "10" ? "11" : "10";
    expect(await confirmTicket(token, wrong)).toBe("cancelled");
    await expect(confirmTicket(token, ticket.matchCode)).rejects.toBeInstanceOf(AppError);
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("cancelled");
    await expect(redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null })).rejects.toMatchObject({ code: "not_confirmed" });
  });

  it("stores nothing when WeChat refuses the QR", async () => {
    await fetch(`${emulator.url}/_emulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ endpoint: "cgi-bin/qrcode/create", errcode: 45009 }) });
    const prisma = await db();
    const before = await prisma.loginTicket.count();
    await expect(newTicket()).rejects.toMatchObject({ errcode: 45009 });
    expect(await prisma.loginTicket.count()).toBe(before);
  });
});

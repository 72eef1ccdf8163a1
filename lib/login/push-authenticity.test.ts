/**
 * Attacks on the push webhook's authenticity (issue #9, finding 3), played against the route
 * handler with real Request objects on the account the demo runs: safe mode (EncodingAESKey set).
 * The attacker holds a ticket of their own and knows a victim's Official Account openid.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { GET, POST } from "@/app/api/wechat/events/route";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { WechatMessageCrypto } from "@/lib/wechat/push/crypto";
import { computeMsgSignature, computeSignature } from "@/lib/wechat/push/signature";
import { createLoginTicket, getTicketForBrowser, redeemTicket } from "./follow-to-login";

const ORIGIN = "http://localhost:3997";
const OA = DEMO_OFFICIAL_ACCOUNT;
const crypto = new WechatMessageCrypto({ token: OA.token, encodingAesKey: OA.encodingAesKey, appId: OA.appId });
const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });
const VICTIM = openidFor(OA.appId, "lin");
const ATTACKER = openidFor(OA.appId, "zhang");

function scanXml(openid: string, scene: string, options: { toUser?: string; createTime?: number } = {}): string {
  const createTime = options.createTime ?? Math.floor(Date.now() / 1000);
  return `<ToUserName><![CDATA[${options.toUser ?? OA.originalId}]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[${scene}]]></EventKey><Ticket><![CDATA[t]]></Ticket>`;
}

function signedQuery(extra: Record<string, string> = {}, timestamp = String(Math.floor(Date.now() / 1000)), nonce = String(randomBytes(4).readUInt32BE())): URLSearchParams {
  return new URLSearchParams({ signature: computeSignature(OA.token, timestamp, nonce), timestamp, nonce, ...extra });
}

function post(query: URLSearchParams, body: string): NextRequest {
  return new NextRequest(`${ORIGIN}/api/wechat/events?${query}`, { method: "POST", body, headers: { "content-type": "text/xml" } });
}

/** An encrypted push signed as WeChat signs it; `plaintext` adds compatible mode's clear copy. */
function encryptedPush(inner: string, options: { plaintext?: string; outerToUser?: string } = {}): NextRequest {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomBytes(4).readUInt32BE());
  const encrypt = crypto.encrypt(`<xml>${inner}</xml>`);
  const query = signedQuery({ encrypt_type: "aes", msg_signature: computeMsgSignature(OA.token, timestamp, nonce, encrypt) }, timestamp, nonce);
  const clear = options.plaintext ?? `<ToUserName><![CDATA[${options.outerToUser ?? OA.originalId}]]></ToUserName>`;
  return post(query, `<xml>${clear}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`);
}

async function attackerTicket() {
  const binding = randomToken(32);
  const ticket = await createLoginTicket({ bindingHash: sha256(binding), returnTo: "/account", ip: "198.51.100.9", userAgent: "Mozilla/5.0 Chrome/126.0" });
  const prisma = await db();
  const { scene } = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  const untouched = async () => {
    const row = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.status).toBe("waiting");
    expect(row.openid).toBeNull();
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("waiting");
    await expect(redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null })).rejects.toMatchObject({ code: "not_confirmed" });
    expect(await prisma.session.count()).toBe(0);
  };
  return { ticket, binding, scene, untouched };
}

describe.each(testDatabases())("push authenticity in safe mode on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
  });

  it("refuses a plaintext push signed with the Token alone, carrying the victim's openid onto the attacker's ticket", async () => {
    const { scene, untouched } = await attackerTicket();
    const forged = await POST(post(signedQuery({ openid: VICTIM }), `<xml>${scanXml(VICTIM, scene)}</xml>`));
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain("/login/confirm");
    await untouched();
  });

  it("refuses a compatible-mode push whose plaintext disagrees with its encrypted twin", async () => {
    const { scene, untouched } = await attackerTicket();
    // The attacker's own genuine scan, encrypted, with the clear copy edited to name the victim.
    const response = await POST(encryptedPush(scanXml(ATTACKER, scene), { plaintext: scanXml(VICTIM, scene) }));
    expect(response.status).toBe(403);
    await untouched();
  });

  it("acts on a compatible-mode push whose plaintext matches its encrypted twin", async () => {
    const { ticket, binding, scene } = await attackerTicket();
    const createTime = Math.floor(Date.now() / 1000);
    const response = await POST(encryptedPush(scanXml(ATTACKER, scene, { createTime }), { plaintext: scanXml(ATTACKER, scene, { createTime }) }));
    expect(response.status).toBe(200);
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("scanned");
  });

  it("refuses a push addressed to another account (ToUserName is not our original id)", async () => {
    const { scene, untouched } = await attackerTicket();
    const other = "gh_ffffffffffff";
    expect((await POST(encryptedPush(scanXml(ATTACKER, scene, { toUser: other }), { outerToUser: other }))).status).toBe(403);
    await untouched();
  });

  it("refuses a replayed encrypted POST", async () => {
    const { ticket, binding, scene } = await attackerTicket();
    const request = encryptedPush(scanXml(ATTACKER, scene));
    const replay = request.clone();
    expect((await POST(request)).status).toBe(200);
    expect((await POST(new NextRequest(replay))).status).toBe(403);
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("scanned");
  });

  it("answers a URL check once: its timestamp and nonce cannot sign a second request", async () => {
    const query = signedQuery({ echostr: "8251426364892390123" });
    const first = await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`));
    expect(await first.text()).toBe("8251426364892390123");
    expect((await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`))).status).toBe(403);
  });

  it("passes the emulator's server-URL check over HTTP, as WeChat runs it when the settings are saved", async () => {
    // The route behind a real HTTP server, where the emulator's GET arrives.
    const server = createServer((req, res) => {
      void GET(new NextRequest(`${ORIGIN}${req.url ?? "/"}`)).then(async (response) => {
        res.writeHead(response.status, { "content-type": response.headers.get("content-type") ?? "text/plain" });
        res.end(await response.text());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const pushUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/wechat/events`;
      const settings = await fetch(`${emulator.url}/_emulator/settings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ oaPushUrl: pushUrl }) });
      expect(settings.status).toBe(200);
      const check = async () => (await (await fetch(`${emulator.url}/_emulator/oa/verify-url`, { method: "POST" })).json()) as { ok: boolean; status?: number };
      expect(await check()).toMatchObject({ ok: true, status: 200 });
      await fetch(`${emulator.url}/_emulator/settings`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ oaPushToken: "wrongToken123" }) });
      expect(await check()).toMatchObject({ ok: false, status: 403 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/**
 * The Official Account's push webhook, played against the route handler with real Request
 * objects: WeChat's URL check, and signed, forged, replayed, stale, oversized and hostile pushes.
 * Attacks on its authenticity (issue #9, finding 3) in both modes an account can run: safe mode
 * (EncodingAESKey set, as the demo account) and plaintext mode, where `signature` covers the
 * timestamp and nonce but not the body. The attacker holds a ticket of their own and knows a
 * victim's Official Account openid. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { getTicketForBrowser, redeemTicket } from "@/lib/login/tickets";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { withEnv } from "@/lib/test/env";
import { startTicket } from "@/lib/test/tickets";
import { encryptedPush, plainPush, pushRequest, replyContent, scanFields, scanXml, signedQuery, urlCheck } from "@/lib/test/wechat-push";
import { computeSignature } from "@/lib/wechat/push/signature";
import { GET, POST } from "./route";

const ORIGIN = "http://localhost:3997";
const OA = DEMO_OFFICIAL_ACCOUNT;
const emulator = useTestEmulator({ callbackDomain: "localhost:3997" });
const VICTIM = openidFor(OA.appId, "lin");
const ATTACKER = openidFor(OA.appId, "zhang");

/** The attacker's own ticket, and a check that nothing moved it: no scan, no confirm, no session. */
async function attackerTicket() {
  const { ticket, binding, scene } = await startTicket({ ip: "198.51.100.9", userAgent: "Mozilla/5.0 Chrome/126.0" });
  const prisma = await db();
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

describe.each(testDatabases())("the push webhook in safe mode on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());

  it("answers WeChat's URL check only with a valid signature", async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const query = new URLSearchParams({ signature: computeSignature(OA.token, timestamp, "42"), timestamp, nonce: "42", echostr: "8251426364892390123" });
    const good = await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`));
    expect(await good.text()).toBe("8251426364892390123");
    query.set("signature", "f".repeat(40));
    expect((await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`))).status).toBe(403);
  });

  it("answers a URL check once: its timestamp and nonce cannot sign a second request", async () => {
    const query = signedQuery({ extra: { echostr: "8251426364892390123" } });
    const first = await GET(urlCheck(query));
    expect(await first.text()).toBe("8251426364892390123");
    expect((await GET(urlCheck(query))).status).toBe(403);
  });

  it("refuses forged, replayed, stale, oversized and XXE pushes without touching the ticket", async () => {
    const { ticket, binding, scene } = await attackerTicket();
    const xml = scanXml(openidFor(OA.appId, "zhang"), scene);
    const statusNow = async () => (await getTicketForBrowser(ticket.id, sha256(binding))).status;

    expect((await POST(encryptedPush(xml, { badSignature: true }))).status).toBe(403);
    expect((await POST(encryptedPush(xml, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(403);
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
    const first = await POST(encryptedPush(xml, { timestamp, nonce: "777" }));
    expect(await replyContent(first)).toContain("/login/confirm?t=");
    expect((await POST(encryptedPush(xml, { timestamp, nonce: "777" }))).status).toBe(403);
    const retry = await POST(encryptedPush(xml, { nonce: "778" }));
    expect(await retry.text()).toBe("success");
    expect(await statusNow()).toBe("scanned");
  });

  it("refuses a plaintext push signed with the Token alone, carrying the victim's openid onto the attacker's ticket", async () => {
    const { scene, untouched } = await attackerTicket();
    const forged = await POST(pushRequest(signedQuery({ extra: { openid: VICTIM } }), scanXml(VICTIM, scene)));
    expect(forged.status).toBe(403);
    expect(await forged.text()).not.toContain("/login/confirm");
    await untouched();
  });

  it("refuses a compatible-mode push whose plaintext disagrees with its encrypted twin", async () => {
    const { scene, untouched } = await attackerTicket();
    // The attacker's own genuine scan, encrypted, with the clear copy edited to name the victim.
    const response = await POST(encryptedPush(scanXml(ATTACKER, scene), { plaintext: scanFields(VICTIM, scene) }));
    expect(response.status).toBe(403);
    await untouched();
  });

  it("acts on a compatible-mode push whose plaintext matches its encrypted twin", async () => {
    const { ticket, binding, scene } = await attackerTicket();
    const createTime = Math.floor(Date.now() / 1000);
    const response = await POST(encryptedPush(scanXml(ATTACKER, scene, { createTime }), { plaintext: scanFields(ATTACKER, scene, { createTime }) }));
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
      const settings = await fetch(`${emulator.url}/_emulator/settings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ oaPushUrl: pushUrl }),
      });
      expect(settings.status).toBe(200);
      const check = async () => (await (await fetch(`${emulator.url}/_emulator/oa/verify-url`, { method: "POST" })).json()) as { ok: boolean; status?: number };
      expect(await check()).toMatchObject({ ok: true, status: 200 });
      await fetch(`${emulator.url}/_emulator/settings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ oaPushToken: "wrongToken123" }),
      });
      expect(await check()).toMatchObject({ ok: false, status: 403 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("answers 404 on a site without an Official Account, and 405 to other methods", async () => {
    const query = signedQuery({ extra: { echostr: "1" } });
    expect((await POST(new NextRequest(`${ORIGIN}/api/wechat/events?${query}`, { method: "PUT", body: "x" }))).status).toBe(405);
    // A website app of its own and no Official Account.
    withEnv({ AUTH_WECHAT_ID: "wx0123456789abcdef", AUTH_WECHAT_SECRET: "s".repeat(32) });
    try {
      expect((await GET(urlCheck(signedQuery({ extra: { echostr: "1" } })))).status).toBe(404);
    } finally {
      withEnv({ AUTH_WECHAT_ID: undefined, AUTH_WECHAT_SECRET: undefined });
    }
  });
});

describe.each(testDatabases())("the push webhook in plaintext mode on $name", (database) => {
  const PLAINTEXT_ACCOUNT = {
    // The demo account, configured by hand without an EncodingAESKey: plaintext mode.
    WECHAT_OA_ID: OA.appId,
    WECHAT_OA_SECRET: OA.secret,
    WECHAT_OA_TOKEN: OA.token,
    WECHAT_OA_ORIGINAL_ID: OA.originalId,
  };
  beforeAll(async () => {
    withEnv({ ...PLAINTEXT_ACCOUNT, WECHAT_API_BASE_URL: emulator.url, WECHAT_OPEN_BASE_URL: emulator.url });
    await database.setUp();
  });
  afterAll(async () => {
    await database.tearDown();
    withEnv(Object.fromEntries([...Object.keys(PLAINTEXT_ACCOUNT), "WECHAT_API_BASE_URL", "WECHAT_OPEN_BASE_URL"].map((name) => [name, undefined])));
  });
  beforeEach(() => emulator.reset());

  async function newTicket() {
    const { ticket, binding, scene } = await startTicket({ ip: "198.51.100.9" });
    return { scene, status: async () => (await getTicketForBrowser(ticket.id, sha256(binding))).status };
  }

  it("refuses a captured URL-check query reused to carry a forged body", async () => {
    const { scene, status } = await newTicket();
    // WeChat's check when the settings are saved; the attacker saw its query string.
    const check = signedQuery({ nonce: "31337", extra: { echostr: "5838479218127813673" } });
    expect(await (await GET(urlCheck(check))).text()).toBe("5838479218127813673");
    check.delete("echostr");
    const forged = await POST(pushRequest(check, scanXml(VICTIM, scene)));
    expect(forged.status).toBe(403);
    expect(await status()).toBe("waiting");
  });

  it("refuses a replayed plaintext POST, and a push to another account", async () => {
    const { scene, status } = await newTicket();
    const query = signedQuery({ nonce: "4242" });
    expect((await POST(pushRequest(query, scanXml(VICTIM, scene)))).status).toBe(200);
    expect(await status()).toBe("scanned");
    expect((await POST(pushRequest(query, scanXml(openidFor(OA.appId, "zhang"), scene)))).status).toBe(403);

    const other = await newTicket();
    expect((await POST(pushRequest(signedQuery({ nonce: "4243" }), scanXml(VICTIM, other.scene, { toUser: "gh_ffffffffffff" })))).status).toBe(403);
    expect(await other.status()).toBe("waiting");
  });
});

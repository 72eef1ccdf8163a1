/**
 * Attacks on the push webhook of an account in plaintext mode (no EncodingAESKey), where
 * `signature` covers the timestamp and nonce but not the body (issue #9, finding 3).
 */
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { openidFor } from "@/emulator/config";
import { GET, POST } from "@/app/api/wechat/events/route";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT, reloadEnv } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { computeSignature } from "@/lib/wechat/push/signature";
import { createLoginTicket, getTicketForBrowser } from "./follow-to-login";

const ORIGIN = "http://localhost:3996";
const OA = DEMO_OFFICIAL_ACCOUNT;
const emulator = useTestEmulator({ callbackDomain: "localhost:3996" });
const VICTIM = openidFor(OA.appId, "lin");

beforeAll(() => {
  // The demo account, configured by hand without an EncodingAESKey: plaintext mode.
  for (const [name, value] of Object.entries({
    WECHAT_OA_ID: OA.appId,
    WECHAT_OA_SECRET: OA.secret,
    WECHAT_OA_TOKEN: OA.token,
    WECHAT_OA_ORIGINAL_ID: OA.originalId,
    WECHAT_API_BASE_URL: emulator.url,
    WECHAT_OPEN_BASE_URL: emulator.url,
  })) {
    vi.stubEnv(name, value);
  }
  reloadEnv();
});

function scanXml(openid: string, scene: string, toUser: string = OA.originalId): string {
  return `<xml><ToUserName><![CDATA[${toUser}]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[${scene}]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>`;
}

function post(query: URLSearchParams, body: string): NextRequest {
  return new NextRequest(`${ORIGIN}/api/wechat/events?${query}`, { method: "POST", body, headers: { "content-type": "text/xml" } });
}

function signedQuery(nonce: string, extra: Record<string, string> = {}): URLSearchParams {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return new URLSearchParams({ signature: computeSignature(OA.token, timestamp, nonce), timestamp, nonce, ...extra });
}

async function newTicket() {
  const binding = randomToken(32);
  const ticket = await createLoginTicket({ bindingHash: sha256(binding), returnTo: "/account", ip: "198.51.100.9", userAgent: null });
  const prisma = await db();
  const { scene } = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { scene, status: async () => (await getTicketForBrowser(ticket.id, sha256(binding))).status };
}

describe.each(testDatabases())("push authenticity in plaintext mode on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: "POST" });
    (globalThis as { __wechatAppTokens?: Map<string, unknown> }).__wechatAppTokens?.clear();
  });

  it("refuses a captured URL-check query reused to carry a forged body", async () => {
    const { scene, status } = await newTicket();
    // WeChat's check when the settings are saved; the attacker saw its query string.
    const check = signedQuery("31337", { echostr: "5838479218127813673" });
    expect(await (await GET(new NextRequest(`${ORIGIN}/api/wechat/events?${check}`))).text()).toBe("5838479218127813673");
    check.delete("echostr");
    const forged = await POST(post(check, scanXml(VICTIM, scene)));
    expect(forged.status).toBe(403);
    expect(await status()).toBe("waiting");
  });

  it("refuses a replayed plaintext POST, and a push to another account", async () => {
    const { scene, status } = await newTicket();
    const query = signedQuery("4242");
    expect((await POST(post(query, scanXml(VICTIM, scene)))).status).toBe(200);
    expect(await status()).toBe("scanned");
    expect((await POST(post(query, scanXml(openidFor(OA.appId, "zhang"), scene)))).status).toBe(403);

    const other = await newTicket();
    expect((await POST(post(signedQuery("4243"), scanXml(VICTIM, other.scene, "gh_ffffffffffff")))).status).toBe(403);
    expect(await other.status()).toBe("waiting");
  });
});

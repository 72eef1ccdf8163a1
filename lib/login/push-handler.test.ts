/**
 * What the Official Account does with a verified push (the route has checked the signature
 * already): scans of our login QR answer the scanner in their chat; every other push, and every
 * repeat of one, is acknowledged with `success` and changes nothing. On the embedded database
 * and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { startTicket } from "@/lib/test/tickets";
import { scanXml, type ScanOptions } from "@/lib/test/wechat-push";
import { parseWechatXml } from "@/lib/wechat/push/xml";
import { confirmTicket } from "./follow-to-login";
import { getTicketForBrowser } from "./tickets";
import { handlePush } from "./push-handler";

const ORIGIN = "http://localhost:3998";
const OA = DEMO_OFFICIAL_ACCOUNT;
// Tickets get their QR from the emulator's Official Account.
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

/** The fields of a scan, as the route hands them over after verifying the push. */
function scan(openid: string, scene: string, options: ScanOptions = {}): Record<string, string> {
  return parseWechatXml(scanXml(openid, scene, options));
}

/** The text the scanner sees in their chat: the passive reply's Content. */
function replyContent(reply: string): string | undefined {
  return reply.startsWith("<xml>") ? parseWechatXml(reply).Content : undefined;
}

async function newTicket() {
  const { ticket, binding, scene } = await startTicket({ ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
  return { ticket, binding, scene, status: async () => (await getTicketForBrowser(ticket.id, sha256(binding))).status };
}

describe.each(testDatabases())("the push handler on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());

  it("answers a follower's scan with a one-time link on our origin, addressed back to the scanner", async () => {
    const { scene, status } = await newTicket();
    const openid = openidFor(OA.appId, "lin");
    const reply = parseWechatXml(await handlePush(scan(openid, scene), ORIGIN));
    expect(reply).toMatchObject({ ToUserName: openid, FromUserName: OA.originalId, MsgType: "text" });
    expect(reply.Content).toMatch(new RegExp(`<a href="${ORIGIN}/login/confirm\\?t=[A-Za-z0-9_-]{43}">`));
    expect(await status()).toBe("scanned");
  });

  it("a new follower's subscribe (qrscene_ prefix) completes the scan too", async () => {
    const { ticket, binding, scene } = await newTicket();
    const reply = await handlePush(scan(openidFor(OA.appId, "wang"), scene, { event: "subscribe" }), ORIGIN);
    expect(replyContent(reply)).toContain("/login/confirm?t=");
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("scanned");
  });

  it("tells a second scanner the QR is taken, and a late scanner that it expired", async () => {
    const { scene } = await newTicket();
    const now = Math.floor(Date.now() / 1000);
    await handlePush(scan(openidFor(OA.appId, "lin"), scene, { createTime: now }), ORIGIN);
    expect(replyContent(await handlePush(scan(openidFor(OA.appId, "zhang"), scene, { createTime: now + 1 }), ORIGIN))).toContain("已被其他微信扫描");

    const late = await newTicket();
    const prisma = await db();
    await prisma.loginTicket.update({ where: { id: late.ticket.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(replyContent(await handlePush(scan(openidFor(OA.appId, "lin"), late.scene, { createTime: now + 2 }), ORIGIN))).toContain("二维码已过期");
    expect((await getTicketForBrowser(late.ticket.id, sha256(late.binding))).status).toBe("expired");
  });

  it("tells the scanner of a finished sign-in that it is finished", async () => {
    const { ticket, scene, status } = await newTicket();
    const link = replyContent(await handlePush(scan(openidFor(OA.appId, "lin"), scene), ORIGIN));
    const token = /\?t=([A-Za-z0-9_-]{43})/.exec(link ?? "")![1]!;
    expect(await confirmTicket(token, ticket.matchCode)).toBe("confirmed");
    // A later scan of the same QR, by the same person (a new event: WeChat's CreateTime moved on).
    const later = await handlePush(scan(openidFor(OA.appId, "lin"), scene, { createTime: Math.floor(Date.now() / 1000) + 5 }), ORIGIN);
    expect(replyContent(later)).toContain("该次登录已完成或已取消");
    expect(await status()).toBe("confirmed");
  });

  it("acknowledges WeChat's retry of an event without a second link", async () => {
    const { ticket, scene, status } = await newTicket();
    const event = scan(openidFor(OA.appId, "lin"), scene);
    expect(replyContent(await handlePush(event, ORIGIN))).toContain("/login/confirm?t=");
    const prisma = await db();
    const { confirmTokenHash } = await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
    // Same FromUserName and CreateTime: the same event, whatever request carries it.
    expect(await handlePush(event, ORIGIN)).toBe("success");
    expect((await prisma.loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).confirmTokenHash).toBe(confirmTokenHash);
    expect(await status()).toBe("scanned");
  });

  it("acknowledges every other push with success and touches no ticket", async () => {
    const { scene, status } = await newTicket();
    const openid = openidFor(OA.appId, "li");
    const base = { ToUserName: OA.originalId, FromUserName: openid, CreateTime: String(Math.floor(Date.now() / 1000)) };
    const others: Record<string, string>[] = [
      // A chat message that happens to name the scene.
      { ...base, MsgType: "text", Content: scene, MsgId: "1234567890123456789" },
      { ...base, MsgType: "event", Event: "unsubscribe" },
      // A scan of some other QR of the account, and of a login QR we never made.
      scan(openid, "promo_spring", { createTime: Number(base.CreateTime) + 1 }),
      scan(openid, "login_no_such_scene", { createTime: Number(base.CreateTime) + 2 }),
      // Fields no push has.
      { ...base, MsgType: "event", Event: "SCAN" },
      { FromUserName: "<script>", MsgType: "event" },
    ];
    for (const fields of others) expect(await handlePush(fields, ORIGIN)).toBe("success");
    expect(await status()).toBe("waiting");
  });
});

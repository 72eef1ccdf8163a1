/**
 * Follow-to-login tickets end to end below the browser: tickets against the emulator's Official
 * Account over HTTP, scanned through the signed push webhook, confirmed on the phone and redeemed
 * by the browser, on the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor, unionidFor } from "@/emulator/config";
import { POST } from "@/app/api/wechat/events/route";
import { randomToken, sha256 } from "@/lib/crypto";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { startTicket } from "@/lib/test/tickets";
import { encryptedPush, replyContent, scanXml } from "@/lib/test/wechat-push";
import { cancelTicket, confirmTicket, getConfirmView, recordScan } from "./follow-to-login";
import { getTicketForBrowser, redeemTicket } from "./tickets";

const OA = DEMO_OFFICIAL_ACCOUNT;
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

async function newTicket() {
  return startTicket({ ip: "203.0.113.7", userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
}

describe.each(testDatabases())("follow-to-login on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());

  it("a signed scan moves the ticket to scanned and replies with a confirm link; the right number confirms; only the binding browser redeems, once", async () => {
    const { ticket, binding, scene } = await newTicket();
    const openid = openidFor(OA.appId, "lin");
    const response = await POST(encryptedPush(scanXml(openid, scene)));
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

  it("a wrong number cancels the ticket for good", async () => {
    const { ticket, binding, scene } = await newTicket();
    const content = await replyContent(await POST(encryptedPush(scanXml(openidFor(OA.appId, "li"), scene))));
    const token = /\?t=([A-Za-z0-9_-]{43})/.exec(content ?? "")![1]!;
    const wrong = ticket.matchCode === "10" ? "11" : "10";
    expect(await confirmTicket(token, wrong)).toBe("cancelled");
    await expect(confirmTicket(token, ticket.matchCode)).rejects.toBeInstanceOf(AppError);
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("cancelled");
    await expect(redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null })).rejects.toMatchObject({ code: "not_confirmed" });
  });

  it("keeps a refused QR as a failed attempt that nobody can scan", async () => {
    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 45009 });
    const prisma = await db();
    const before = await prisma.loginTicket.count();
    await expect(newTicket()).rejects.toMatchObject({ errcode: 45009 });
    expect(await prisma.loginTicket.count()).toBe(before + 1);
    const failed = await prisma.loginTicket.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(failed).toMatchObject({ status: "error", errcode: 45009, qrUrl: null, wechatTicket: null });
    expect(failed.finishedAt).not.toBeNull();
    expect(await recordScan(failed.scene, openidFor(OA.appId, "lin"))).toEqual({ kind: "finished" });
  });

  it("shows the phone who is asking and three numbers, the right one among them, the same on every view and every scan", async () => {
    const { ticket, scene } = await newTicket();
    const first = await recordScan(scene, openidFor(OA.appId, "lin"));
    if (first.kind !== "confirm_link") throw new Error(`scan: ${first.kind}`);
    const view = await getConfirmView(first.confirmToken);
    expect(view).toMatchObject({ status: "scanned", requestIp: "203.0.113.7", requestUserAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0" });
    expect(view.choices).toHaveLength(3);
    expect(view.choices).toContain(ticket.matchCode);
    expect((await getConfirmView(first.confirmToken)).choices).toEqual(view.choices);
    // Scanning again issues a new link; the old one stops working, the numbers stay.
    const again = await recordScan(scene, openidFor(OA.appId, "lin"));
    if (again.kind !== "confirm_link") throw new Error(`scan: ${again.kind}`);
    await expect(getConfirmView(first.confirmToken)).rejects.toMatchObject({ code: "not_found" });
    expect((await getConfirmView(again.confirmToken)).choices).toEqual(view.choices);
    await expect(getConfirmView(randomToken(32))).rejects.toMatchObject({ code: "not_found" });
  });

  it("a cancel on the phone ends the ticket; the browser can no longer redeem it", async () => {
    const { ticket, binding, scene } = await newTicket();
    const scan = await recordScan(scene, openidFor(OA.appId, "zhang"));
    if (scan.kind !== "confirm_link") throw new Error(`scan: ${scan.kind}`);
    await cancelTicket(scan.confirmToken);
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("cancelled");
    await expect(confirmTicket(scan.confirmToken, ticket.matchCode)).rejects.toBeInstanceOf(AppError);
    await expect(redeemTicket(ticket.id, sha256(binding), { userAgent: null, ip: null })).rejects.toMatchObject({ code: "not_confirmed" });
    expect(await (await db()).user.count({ where: { wechatIdentities: { some: { openid: openidFor(OA.appId, "zhang") } } } })).toBe(0);
  });

  it("tells a late scanner the ticket expired, and another browser learns nothing of it", async () => {
    const { ticket, binding, scene } = await newTicket();
    await expect(getTicketForBrowser(ticket.id, sha256(randomToken(32)))).rejects.toMatchObject({ code: "not_found" });
    await expect(getTicketForBrowser(ticket.id, undefined)).rejects.toMatchObject({ code: "not_found" });
    await (await db()).loginTicket.update({ where: { id: ticket.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await recordScan(scene, openidFor(OA.appId, "lin"))).toEqual({ kind: "expired" });
    expect((await getTicketForBrowser(ticket.id, sha256(binding))).status).toBe("expired");
    expect(await recordScan("login_no_such_scene", openidFor(OA.appId, "lin"))).toEqual({ kind: "unknown" });
  });
});

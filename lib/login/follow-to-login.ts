/**
 * Follow-to-login: our own QR through the Official Account. The ticket machinery (status, number
 * matching, redeem) is tickets.ts; this surface draws a temporary parametric QR, hears scans as
 * pushes (subscribe with `qrscene_<scene>`, or SCAN), answers the scanner in their WeChat chat with
 * a one-time link to the confirm page, and learns the unionid from `cgi-bin/user/info`.
 *
 * @see docs/wechat-protocol.md §B2
 */
import "server-only";
import { randomAlphanumeric } from "@/lib/crypto";
import { findTicketByScene, insertTicket } from "@/lib/db/login-tickets";
import { getEnv } from "@/lib/env";
import { createTempQr, getFollower, requireOfficialAccount } from "@/lib/wechat/official-account";
import {
  cancelByConfirmToken,
  confirmViewOf,
  confirmWithNumber,
  findByConfirmToken,
  findReusableTicket,
  newMatchCode,
  newTicketId,
  scanTicket,
  toView,
  type ConfirmView,
  type TicketView,
} from "./tickets";

export type OaTicketView = TicketView & { qrUrl: string };

/** This browser's waiting QR with time left, if any (tickets.ts findReusableTicket). */
export async function findReusableOaTicket(bindingHash: string, returnTo: string): Promise<OaTicketView | undefined> {
  const ticket = await findReusableTicket({ bindingHash, returnTo, surface: "official_account", appId: requireOfficialAccount().appId });
  return ticket?.qrUrl ? { ...toView(ticket), qrUrl: ticket.qrUrl } : undefined;
}

/** Creates a ticket and its WeChat QR. Nothing is stored if WeChat refuses the QR. */
export async function createLoginTicket(input: { bindingHash: string; returnTo: string; ip: string | null; userAgent: string | null }): Promise<OaTicketView> {
  const account = requireOfficialAccount();
  const ttlSeconds = getEnv().wechat.ticketTtlSeconds;
  const scene = `login_${randomAlphanumeric(40)}`;
  const qr = await createTempQr(scene, ttlSeconds);
  const ticket = await insertTicket({
    id: newTicketId(),
    bindingHash: input.bindingHash,
    surface: "official_account",
    appId: account.appId,
    scene,
    wechatTicket: qr.ticket,
    qrUrl: qr.url,
    matchCode: newMatchCode(),
    returnTo: input.returnTo,
    requestIp: input.ip,
    requestUserAgent: input.userAgent?.slice(0, 512) ?? null,
    expiresAt: new Date(Date.now() + Math.min(ttlSeconds, qr.expire_seconds ?? ttlSeconds) * 1000),
  });
  return { ...toView(ticket), qrUrl: qr.url };
}

export type OaScanResult =
  { kind: "confirm_link"; confirmToken: string } | { kind: "expired" } | { kind: "taken" } | { kind: "finished" } | { kind: "unknown" };

/** A scan event for `scene` from `openid` (push-handler.ts); a repeated scan issues a fresh link. */
export async function recordScan(scene: string, openid: string): Promise<OaScanResult> {
  const ticket = await findTicketByScene(scene);
  const result = await scanTicket(ticket?.surface === "official_account" ? ticket : null, { openid });
  return result.kind === "confirm_link" ? { kind: "confirm_link", confirmToken: result.confirmToken } : result;
}

/** What the phone's confirm page shows: who is asking, and three numbers to pick from. */
export async function getConfirmView(confirmToken: string): Promise<ConfirmView> {
  return confirmViewOf(await findByConfirmToken(confirmToken, "official_account"));
}

/**
 * The person on the phone confirms, picking a number. The right number resolves the WeChat user
 * (unionid from `cgi-bin/user/info`) and confirms the ticket; a wrong one cancels it for good.
 */
export async function confirmTicket(confirmToken: string, pickedCode: string): Promise<"confirmed" | "cancelled"> {
  const ticket = await findByConfirmToken(confirmToken, "official_account");
  const result = await confirmWithNumber(ticket, pickedCode, async (openid) => ({ appId: ticket.appId, openid, unionid: (await getFollower(openid)).unionid }));
  return result.status;
}

export async function cancelTicket(confirmToken: string): Promise<void> {
  await cancelByConfirmToken(confirmToken, "official_account");
}

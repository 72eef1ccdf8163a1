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
import { findTicketByScene } from "@/lib/db/login-tickets";
import { getEnv } from "@/lib/env";
import { createTempQr, getFollower, requireOfficialAccount } from "@/lib/wechat/official-account";
import {
  cancelByConfirmToken,
  confirmViewOf,
  confirmWithNumber,
  createTicket,
  findByConfirmToken,
  findReusableTicket,
  recordTicketStepFailure,
  scanTicket,
  toView,
  type ConfirmView,
  type TicketView,
} from "./tickets";
import { attemptOfTicket, recordStep, withAttempt } from "./attempt";

export type OaTicketView = TicketView & { qrUrl: string };

/** This browser's waiting QR with time left, if any (tickets.ts findReusableTicket). */
export async function findReusableOaTicket(bindingHash: string, returnTo: string): Promise<OaTicketView | undefined> {
  const ticket = await findReusableTicket({ bindingHash, returnTo, surface: "official_account", appId: requireOfficialAccount().appId });
  return ticket?.qrUrl ? { ...toView(ticket), qrUrl: ticket.qrUrl } : undefined;
}

/** Creates a ticket and its WeChat QR. If WeChat refuses the QR, the attempt is kept as failed and nothing can be scanned. */
export async function createLoginTicket(input: { bindingHash: string; returnTo: string; ip: string | null; userAgent: string | null }): Promise<OaTicketView> {
  const account = requireOfficialAccount();
  const scene = `login_${randomAlphanumeric(40)}`;
  const ticket = await createTicket(
    { ...input, surface: "official_account", appId: account.appId, scene, ttlSeconds: getEnv().wechat.ticketTtlSeconds },
    async () => {
      const qr = await createTempQr(scene, getEnv().wechat.ticketTtlSeconds);
      return { wechatTicket: qr.ticket, qrUrl: qr.url, ttlSeconds: qr.expire_seconds };
    },
  );
  return { ...toView(ticket), qrUrl: ticket.qrUrl ?? "" };
}

export type OaScanResult =
  { kind: "confirm_link"; confirmToken: string } | { kind: "expired" } | { kind: "taken" } | { kind: "finished" } | { kind: "unknown" };

/** A scan event for `scene` from `openid` (push-handler.ts); a repeated scan issues a fresh link. */
export async function recordScan(scene: string, openid: string): Promise<OaScanResult> {
  const found = await findTicketByScene(scene);
  const ticket = found?.surface === "official_account" ? found : null;
  const scan = () => scanTicket(ticket, { openid });
  const result = ticket ? await withAttempt(attemptOfTicket(ticket), scan) : await scan();
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
  const attempt = attemptOfTicket(ticket);
  const follower = async (openid: string) => {
    try {
      const { unionid } = await getFollower(openid);
      recordStep(attempt, "profile_fetched");
      return { appId: ticket.appId, openid, unionid };
    } catch (error) {
      await recordTicketStepFailure(ticket, "profile_fetched", error);
      throw error;
    }
  };
  return withAttempt(attempt, async () => (await confirmWithNumber(ticket, pickedCode, follower)).status);
}

export async function cancelTicket(confirmToken: string): Promise<void> {
  await cancelByConfirmToken(confirmToken, "official_account");
}

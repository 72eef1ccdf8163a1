/**
 * The mini-program code (小程序码) as a sign-in surface. The ticket machinery is tickets.ts; this
 * surface draws the code with `getwxacodeunlimit` (its scene is the ticket's own 32-character
 * scene), and hears the scan from the mini program itself, since WeChat pushes nothing when a
 * code is scanned: the page sends `wx.login`'s code with the scene, and `jscode2session` names
 * the person (openid, and the unionid when the mini program is bound to the Open Platform).
 *
 * On a phone browser the same ticket opens the mini program through a URL Link instead, and the
 * tab that asked is signed in when the person confirms there.
 *
 * @see docs/wechat-protocol.md §H0, §H2, §H3, §H4, §H7
 */
import "server-only";
import { randomAlphanumeric } from "@/lib/crypto";
import { announceBind, wechatPhoneProof } from "@/lib/contact-proof/codes";
import { isBindingOn } from "@/lib/contact-proof/due";
import { notifyContactMoved } from "@/lib/contact-proof/deliver";
import type { LoginTicket } from "@/lib/db/generated/client";
import { findTicketByScene, saveTicketUrlLink, type ConfirmPhone } from "@/lib/db/login-tickets";
import { findUserIdOfPerson, getContactFacts } from "@/lib/db/people";
import { getEnv, type MiniProgramConfig } from "@/lib/env";
import { AppError, isAppError } from "@/lib/errors";
import type { Locale } from "@/lib/i18n/messages";
import { logger } from "@/lib/logger";
import { WechatApiError } from "@/lib/wechat/api-client";
import { createMiniProgramCode, createUrlLink, exchangeLoginCode, getPhoneNumber } from "@/lib/wechat/mini-program";
import {
  cancelByConfirmToken,
  confirmViewOf,
  confirmWithNumber,
  createTicket,
  effectiveStatus,
  findByConfirmToken,
  findOwnTicket,
  findReusableTicket,
  recordTicketStepFailure,
  scanTicket,
  toView,
  type TicketView,
} from "./tickets";
import { attemptOfTicket, recordStep, withAttempt } from "./attempt";

/** The scenes we mint: 32 letters and digits, the most `getwxacodeunlimit` takes (§H2.1). */
const SCENE_PATTERN = /^[A-Za-z0-9]{32}$/;
/** A URL Link lives at most 30 days; ours is only needed while its ticket lives. */
const URL_LINK_DAYS = 1;
/** Errcodes of `generate_urllink` meaning "this mini program cannot have URL Links" (personal subject, never released, banned). */
const NO_URL_LINK_ERRCODES = new Set([40002, 40013, 85079]);

export type MiniProgramTicketView = TicketView & { codeImage: string };

export function isMiniProgramScene(scene: string): boolean {
  return SCENE_PATTERN.test(scene);
}

/** The mini program /login shows: the one with this key, else the first configured. */
export function findMiniProgram(key?: string | null): MiniProgramConfig | undefined {
  const { miniPrograms } = getEnv().wechat;
  return key ? miniPrograms.find((mp) => mp.key === key) : miniPrograms[0];
}

function miniProgramOf(appId: string): MiniProgramConfig {
  const mp = getEnv().wechat.miniPrograms.find((candidate) => candidate.appId === appId);
  // A ticket of a mini program no longer configured cannot be answered.
  if (!mp) throw new AppError("not_found");
  return mp;
}

/** This browser's waiting code of this mini program with time left, if any: codes never expire on WeChat's side. */
export async function findReusableMiniProgramTicket(bindingHash: string, returnTo: string, mp: MiniProgramConfig): Promise<MiniProgramTicketView | undefined> {
  const ticket = await findReusableTicket({ bindingHash, returnTo, surface: "mini_program", appId: mp.appId });
  return ticket?.codeImage ? { ...toView(ticket), codeImage: ticket.codeImage } : undefined;
}

/** Creates a ticket and its mini-program code. If WeChat refuses the code, the attempt is kept as failed and nothing can be scanned. */
export async function createMiniProgramTicket(input: {
  mp: MiniProgramConfig;
  bindingHash: string;
  returnTo: string;
  ip: string | null;
  userAgent: string | null;
}): Promise<MiniProgramTicketView> {
  const { mp, ...request } = input;
  const scene = randomAlphanumeric(32);
  const ticket = await createTicket({ ...request, surface: "mini_program", appId: mp.appId, scene, ttlSeconds: getEnv().wechat.ticketTtlSeconds }, async () => {
    const code = await createMiniProgramCode(mp, { scene, page: mp.page, checkPath: mp.checkPath, envVersion: mp.envVersion, width: 430 });
    return { codeImage: `data:${code.contentType};base64,${code.bytes.toString("base64")}` };
  });
  return { ...toView(ticket), codeImage: ticket.codeImage ?? "" };
}

/**
 * The URL Link that opens the mini program on this ticket, for a phone browser (§H7). Only the
 * browser holding the ticket may ask; the link is kept, so asking again costs no quota. A mini
 * program that cannot have links (personal subject: 40002) is `url_link_unavailable`.
 */
export async function getSameDeviceLink(id: string, bindingHash: string | undefined): Promise<string> {
  const ticket = await findOwnTicket(id, bindingHash);
  if (ticket.surface !== "mini_program") throw new AppError("not_found");
  return withAttempt(attemptOfTicket(ticket), () => linkFor(ticket));
}

async function linkFor(ticket: LoginTicket): Promise<string> {
  const status = effectiveStatus(ticket);
  if (status !== "waiting" && status !== "scanned") throw new AppError(status === "cancelled" ? "cancelled" : "expired");
  if (ticket.urlLink) return ticket.urlLink;
  const mp = miniProgramOf(ticket.appId);
  try {
    const link = await createUrlLink(mp, { path: mp.page, query: `scene=${ticket.scene}`, expireIntervalDays: URL_LINK_DAYS, envVersion: mp.envVersion });
    await saveTicketUrlLink(ticket.id, link);
    return link;
  } catch (error) {
    if (error instanceof WechatApiError && NO_URL_LINK_ERRCODES.has(error.errcode)) {
      throw new AppError("url_link_unavailable", { detail: { errcode: error.errcode }, cause: error });
    }
    throw error;
  }
}

/** What the mini program's page shows after a scan. */
export type PhoneView = {
  /** The one-time token for this phone's confirm or cancel. */
  token: string;
  requestIp: string | null;
  requestUserAgent: string | null;
  createdAt: Date;
  choices: string[];
  /** Offer WeChat's one-tap phone: binding wants a phone and this person has none. */
  phoneOffer: boolean;
  /** Seconds the ticket has left, as the computer's page counts them. */
  expiresIn: number;
};

/**
 * The mini program opened on `scene` and sends `wx.login`'s code. The code names the person; the
 * scan is recorded once per person, and a second person is turned away.
 */
export async function scanFromMiniProgram(scene: string, jsCode: string): Promise<PhoneView> {
  const found = isMiniProgramScene(scene) ? await findTicketByScene(scene) : null;
  if (!found || found.surface !== "mini_program") throw new AppError("not_found");
  const status = effectiveStatus(found);
  // Checked before code2Session: a finished ticket spends nothing at WeChat.
  if (status === "expired") throw new AppError("expired");
  if (status !== "waiting" && status !== "scanned") throw new AppError(status === "cancelled" ? "cancelled" : "already_redeemed");
  return withAttempt(attemptOfTicket(found), () => scanFound(found, jsCode));
}

async function scanFound(found: LoginTicket, jsCode: string): Promise<PhoneView> {
  const mp = miniProgramOf(found.appId);
  let person: Awaited<ReturnType<typeof exchangeLoginCode>>;
  try {
    person = await exchangeLoginCode(mp, jsCode);
  } catch (error) {
    // The ticket stays open: the mini program may call wx.login again and retry.
    await recordTicketStepFailure(found, "code_exchanged", error);
    throw error;
  }
  recordStep(attemptOfTicket(found), "code_exchanged");
  const result = await scanTicket(found, person);
  if (result.kind === "unknown") throw new AppError("not_found");
  if (result.kind === "expired") throw new AppError("expired");
  if (result.kind === "taken") throw new AppError("already_scanned");
  if (result.kind === "finished") throw new AppError("already_redeemed");
  const view = confirmViewOf(result.ticket);
  return {
    token: result.confirmToken,
    requestIp: view.requestIp,
    requestUserAgent: view.requestUserAgent,
    createdAt: view.createdAt,
    choices: view.choices,
    phoneOffer: await wantsPhone(mp, { appId: mp.appId, openid: person.openid, unionid: person.unionid }),
    expiresIn: toView(result.ticket).expiresIn,
  };
}

/** Whether to offer the one-tap phone: the site binds phones, the mini program may ask, and this person has none. */
async function wantsPhone(mp: MiniProgramConfig, person: { appId: string; openid: string; unionid?: string | undefined }): Promise<boolean> {
  const { bind } = getEnv();
  if (!mp.phoneNumber || !isBindingOn() || !bind.channels.includes("phone")) return false;
  const userId = await findUserIdOfPerson(person);
  if (!userId) return true;
  return !(await getContactFacts(userId))?.phone;
}

export type PhoneOutcome = "bound" | "moved" | "failed";

/**
 * The person picked a number, and perhaps tapped WeChat's phone button. The right number
 * confirms the ticket for the person, and a WeChat-verified phone is bound in the same
 * transaction, so the computer lands where a bound account lands. A wrong number cancels the
 * ticket for good, and no phone is asked of WeChat for it (each success is billed).
 */
export async function confirmFromMiniProgram(input: {
  token: string;
  pick: string;
  phoneCode?: string | undefined;
  ip: string | null;
  locale: Locale;
}): Promise<{ status: "confirmed" | "cancelled"; phone?: PhoneOutcome }> {
  const ticket = await findByConfirmToken(input.token, "mini_program");
  return withAttempt(attemptOfTicket(ticket), () => confirmFound(ticket, input));
}

async function confirmFound(
  ticket: LoginTicket,
  input: { pick: string; phoneCode?: string | undefined; ip: string | null; locale: Locale },
): Promise<{ status: "confirmed" | "cancelled"; phone?: PhoneOutcome }> {
  const mp = miniProgramOf(ticket.appId);
  const phone =
    input.phoneCode && ticket.openid && input.pick === ticket.matchCode ? await phoneProof(mp, ticket.openid, input.phoneCode, input.ip) : undefined;
  const result = await confirmWithNumber(ticket, input.pick, async (openid) => ({ appId: ticket.appId, openid, unionid: ticket.unionid ?? undefined }), phone);
  if (result.status === "cancelled" || !input.phoneCode) return { status: result.status };
  if (!phone || !result.phone?.ok) {
    if (result.phone && !result.phone.ok) logger.warn("login.mini_program.phone_not_bound", { error: result.phone.error });
    return { status: result.status, phone: "failed" };
  }
  const announced = await announceBind("phone", phone.target, result.phone, { userId: result.userId, notify: notifyContactMoved(input.locale) });
  return { status: result.status, phone: announced.outcome };
}

/** WeChat's verified number for a phone code; undefined (and the sign-in goes on without it) when WeChat refuses. */
async function phoneProof(mp: MiniProgramConfig, openid: string, phoneCode: string, ip: string | null): Promise<ConfirmPhone | undefined> {
  try {
    const proof = wechatPhoneProof(await getPhoneNumber(mp, phoneCode, openid), ip);
    if (!proof) logger.warn("login.mini_program.phone_unreadable", {});
    return proof;
  } catch (error) {
    // The sign-in stands without the phone: the computer falls back to the SMS binding.
    logger.warn("login.mini_program.phone_failed", {
      error: isAppError(error) ? error.code : error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** The person tapped Cancel in the mini program. */
export async function cancelFromMiniProgram(token: string): Promise<void> {
  await cancelByConfirmToken(token, "mini_program");
}

/**
 * The phone's side of a live-status sign-in, one strategy per surface. Official Account
 * (follow-to-login): a scan through the emulator's control API (which pushes the signed SCAN event
 * to the app's webhook and hands back the Official Account's reply), then the confirm form posted
 * to the app. Mini program: the code image decoded as a camera would, `wx.login` through the
 * emulator's hook, then the mini program's own JSON API (`/api/miniprogram/scan`, `/confirm`).
 */
import type { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { z } from "zod";
import { VIRTUAL_USERS } from "../emulator/config";
import { JSCODE2SESSION_PER_USER_MINUTE } from "../emulator/mp-state";
import { sendRequest } from "./live-browser";

/** The virtual WeChat users who scan, taking turns. */
export const SCANNING_USERS: readonly string[] = VIRTUAL_USERS.map((user) => user.id);

export const SURFACES = ["official_account", "mini_program"] as const;

export type Surface = (typeof SURFACES)[number];

/** What `POST /api/login-tickets` answers that the phone needs: the OA QR's content, or only the code's picture. */
export type TicketCode = { qrUrl?: string | undefined; qrImage: string };

export type PhoneInput = { emulatorUrl: string; appUrl: string; agent: Agent; timeoutMs: number };

/** How a phone signs in on one surface; everything else in a phase is shared. */
export type PhoneStrategy = {
  surface: Surface;
  /** The body of `POST /api/login-tickets`. */
  ticketBody: string;
  /** What the phone's camera reads from the page's code. */
  readCode(ticket: TicketCode): string;
  /** Scans per second this surface can take at `rate`; confirms always go at `rate`. */
  scanRate(rate: number): number;
  scan(input: PhoneInput & { codeUrl: string; user: string }): Promise<ScanOutcome>;
  confirm(input: PhoneInput & { confirmToken: string; code: string }): Promise<ConfirmOutcome>;
};

const deliverySchema = z.object({
  delivered: z.boolean(),
  attempts: z.number(),
  reply: z.object({ links: z.array(z.string()) }).nullish(),
  error: z.string().optional(),
});

export type ScanOutcome = { ok: true; confirmToken: string } | { ok: false; reason: string };

/** `POST /_emulator/oa/scan` as an existing follower; the confirm token comes from the reply's link. */
async function scanOfficialAccountQr(input: PhoneInput & { codeUrl: string; user: string }): Promise<ScanOutcome> {
  const answer = await sendRequest(`${input.emulatorUrl}/_emulator/oa/scan`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: input.codeUrl, user: input.user, as: "existing" }),
    agent: input.agent,
    timeoutMs: input.timeoutMs,
  });
  if (answer.status !== 200) return { ok: false, reason: `scan: HTTP ${answer.status} ${answer.body.slice(0, 120)}` };
  const parsed = deliverySchema.safeParse(JSON.parse(answer.body) as unknown);
  if (!parsed.success) return { ok: false, reason: "scan: unexpected answer from the emulator" };
  const delivery = parsed.data;
  if (!delivery.delivered) return { ok: false, reason: `scan: push not delivered (${delivery.error ?? "no reason"})` };
  const link = delivery.reply?.links.find((href) => href.includes("/login/confirm?"));
  const token = link ? new URL(link).searchParams.get("t") : null;
  // "success" with no reply: the app took the push for a duplicate (same user, same second).
  if (!token) return { ok: false, reason: "scan: no confirm link in the reply" };
  return { ok: true, confirmToken: token };
}

export type ConfirmOutcome = { startedAt: number; answeredAt: number; result: string };

/** The confirm page's form post; `result` is the `?result=` of the 303 (confirmed, mismatch, …) or the HTTP status. */
async function confirmOnConfirmPage(input: PhoneInput & { confirmToken: string; code: string }): Promise<ConfirmOutcome> {
  const body = new URLSearchParams({ t: input.confirmToken, intent: "confirm", code: input.code }).toString();
  const startedAt = performance.now();
  try {
    const answer = await sendRequest(`${input.appUrl}/api/login-tickets/confirm`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      agent: input.agent,
      timeoutMs: input.timeoutMs,
    });
    const location = answer.headers.location;
    const result = answer.status === 303 && location ? (new URL(location, input.appUrl).searchParams.get("result") ?? "no result") : `HTTP ${answer.status}`;
    return { startedAt, answeredAt: answer.answeredAt, result };
  } catch (error) {
    return { startedAt, answeredAt: performance.now(), result: `transport: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const wxLoginSchema = z.object({ code: z.string().min(1) });
const mpScanSchema = z.object({ token: z.string().min(1) });
const mpConfirmSchema = z.object({ status: z.string() });

/** A mini program sends no cookies and no Origin; this is how WeChat's client names itself. */
const MINI_PROGRAM_HEADERS = { "content-type": "application/json", "user-agent": "Mozilla/5.0 MicroMessenger/8.0.50 MiniProgramEnv/Linux" };

/** The 小程序码's content, decoded from the PNG WeChat drew: `<phone>/mp/<appid>/<page>?scene=…&env_version=…`. */
function decodeMiniProgramCode(ticket: TicketCode): string {
  const png = PNG.sync.read(Buffer.from(ticket.qrImage.slice(ticket.qrImage.indexOf(",") + 1), "base64"));
  const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!decoded) throw new Error("the mini-program code does not decode");
  return decoded.data;
}

/**
 * The mini program opened on the code: `wx.login` for `user` (the emulator's hook), then
 * `POST /api/miniprogram/scan {scene, code}`; the app spends the code at `jscode2session`.
 */
async function scanMiniProgramCode(input: PhoneInput & { codeUrl: string; user: string }): Promise<ScanOutcome> {
  const opened = new URL(input.codeUrl);
  const appid = /^\/mp\/([^/]+)\//.exec(opened.pathname)?.[1];
  const scene = opened.searchParams.get("scene");
  if (!appid || !scene) return { ok: false, reason: `scan: not a mini-program code (${input.codeUrl.slice(0, 80)})` };
  const login = await sendRequest(`${input.emulatorUrl}/_emulator/mp/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ appid, user: input.user }),
    agent: input.agent,
    timeoutMs: input.timeoutMs,
  });
  const code = login.status === 200 ? wxLoginSchema.safeParse(JSON.parse(login.body) as unknown) : undefined;
  if (!code?.success) return { ok: false, reason: `wx.login: HTTP ${login.status} ${login.body.slice(0, 120)}` };
  const answer = await sendRequest(`${input.appUrl}/api/miniprogram/scan`, {
    method: "POST",
    headers: MINI_PROGRAM_HEADERS,
    body: JSON.stringify({ scene, code: code.data.code }),
    agent: input.agent,
    timeoutMs: input.timeoutMs,
  });
  const view = answer.status === 200 ? mpScanSchema.safeParse(JSON.parse(answer.body) as unknown) : undefined;
  if (!view?.success) return { ok: false, reason: `scan: HTTP ${answer.status} ${answer.body.slice(0, 120)}` };
  return { ok: true, confirmToken: view.data.token };
}

/** The number picked in the mini program: `POST /api/miniprogram/confirm {token, pick}`; `result` is its `status` or the HTTP status. */
async function confirmInMiniProgram(input: PhoneInput & { confirmToken: string; code: string }): Promise<ConfirmOutcome> {
  const startedAt = performance.now();
  try {
    const answer = await sendRequest(`${input.appUrl}/api/miniprogram/confirm`, {
      method: "POST",
      headers: MINI_PROGRAM_HEADERS,
      body: JSON.stringify({ token: input.confirmToken, pick: input.code }),
      agent: input.agent,
      timeoutMs: input.timeoutMs,
    });
    const parsed = answer.status === 200 ? mpConfirmSchema.safeParse(JSON.parse(answer.body) as unknown) : undefined;
    return { startedAt, answeredAt: answer.answeredAt, result: parsed?.success ? parsed.data.status : `HTTP ${answer.status}` };
  } catch (error) {
    return { startedAt, answeredAt: performance.now(), result: `transport: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Scans per second the scanning users can make in a mini program: WeChat's `jscode2session`
 * allows each user 100 calls a minute (45011 beyond, as the emulator does), and the users take
 * turns. A tenth is kept back for retries and for a calendar minute that catches a few extra.
 */
export const MINI_PROGRAM_SCAN_RATE = (SCANNING_USERS.length * JSCODE2SESSION_PER_USER_MINUTE * 0.9) / 60;

export const PHONES: Record<Surface, PhoneStrategy> = {
  official_account: {
    surface: "official_account",
    ticketBody: "{}",
    readCode: (ticket) => {
      if (!ticket.qrUrl) throw new Error("an Official Account ticket without its qrUrl");
      return ticket.qrUrl;
    },
    scanRate: (rate) => rate,
    scan: scanOfficialAccountQr,
    confirm: confirmOnConfirmPage,
  },
  mini_program: {
    surface: "mini_program",
    ticketBody: JSON.stringify({ surface: "mini_program" }),
    readCode: decodeMiniProgramCode,
    scanRate: (rate) => Math.min(rate, MINI_PROGRAM_SCAN_RATE),
    scan: scanMiniProgramCode,
    confirm: confirmInMiniProgram,
  },
};

/** An open-loop pacer: slots `1000 / ratePerSecond` ms apart, whoever asks. */
export class RateGate {
  private nextSlot = performance.now();

  constructor(private readonly ratePerSecond: number) {}

  /** Waits for the next slot. */
  async takeSlot(): Promise<void> {
    const now = performance.now();
    const slot = Math.max(this.nextSlot, now);
    this.nextSlot = slot + 1000 / this.ratePerSecond;
    if (slot > now) await sleep(slot - now);
  }
}

/**
 * The phone's side of follow-to-login: a scan through the emulator's control API (which pushes
 * the signed SCAN event to the app's webhook and hands back the Official Account's reply), then
 * the confirm form posted to the app.
 */
import type { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { VIRTUAL_USERS } from "../emulator/config";
import { sendRequest } from "./live-browser";

/** The virtual WeChat users who scan, taking turns. */
export const SCANNING_USERS: readonly string[] = VIRTUAL_USERS.map((user) => user.id);

const deliverySchema = z.object({
  delivered: z.boolean(),
  attempts: z.number(),
  reply: z.object({ links: z.array(z.string()) }).nullish(),
  error: z.string().optional(),
});

export type ScanOutcome = { ok: true; confirmToken: string } | { ok: false; reason: string };

/** `POST /_emulator/oa/scan` as an existing follower; the confirm token comes from the reply's link. */
export async function scanQr(input: { emulatorUrl: string; agent: Agent; qrUrl: string; user: string; timeoutMs: number }): Promise<ScanOutcome> {
  const answer = await sendRequest(`${input.emulatorUrl}/_emulator/oa/scan`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: input.qrUrl, user: input.user, as: "existing" }),
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
export async function confirmOnPhone(input: { appUrl: string; agent: Agent; confirmToken: string; code: string; timeoutMs: number }): Promise<ConfirmOutcome> {
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

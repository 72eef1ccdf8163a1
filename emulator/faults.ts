import type { ServerResponse } from "node:http";
import { z } from "zod";
import { getErrmsg } from "./errcodes";
import { createRid, send, sleep } from "./http";
import { MP_ENDPOINTS } from "./mp-state";
import { CGI_ENDPOINTS } from "./oa-state";

export const SNS_ENDPOINTS = ["sns/oauth2/access_token", "sns/oauth2/refresh_token", "sns/auth", "sns/userinfo"] as const;

export type SnsEndpoint = (typeof SNS_ENDPOINTS)[number];

export const FAULT_ENDPOINTS = [...SNS_ENDPOINTS, ...CGI_ENDPOINTS, ...MP_ENDPOINTS] as const;

export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

/** How long a `timeout` fault holds the request before dropping the connection without an answer. */
const TIMEOUT_HOLD_MS = 60_000;

export const faultSchema = z
  .object({
    endpoint: z.preprocess((value) => (typeof value === "string" ? value.replace(/^\/+/, "") : value), z.enum(FAULT_ENDPOINTS)),
    times: z.number().int().min(1).max(10_000).default(1),
    errcode: z.number().int().optional(),
    errmsg: z.string().optional(),
    status: z.number().int().min(400).max(599).optional(),
    timeout: z.literal(true).optional(),
    malformed: z.literal(true).optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
  })
  .strict()
  .superRefine((fault, ctx) => {
    const kinds = [fault.errcode, fault.status, fault.timeout, fault.malformed].filter((kind) => kind !== undefined);
    if (kinds.length > 1) {
      ctx.addIssue({ code: "custom", message: "give only one of errcode, status, timeout, malformed" });
    }
    if (kinds.length === 0 && fault.delayMs === undefined) {
      ctx.addIssue({ code: "custom", message: "give one of errcode, status, timeout, malformed or delayMs" });
    }
    if (fault.errmsg !== undefined && fault.errcode === undefined) {
      ctx.addIssue({ code: "custom", message: "errmsg only goes with errcode" });
    }
  });

export type Fault = z.infer<typeof faultSchema>;

export type PendingFault = Fault & { id: number; remaining: number };

/** Faults queued per endpoint; each call of the endpoint consumes one unit of the oldest matching fault. */
export class FaultQueue {
  private pending: PendingFault[] = [];
  private nextId = 1;

  add(fault: Fault): PendingFault {
    const entry: PendingFault = { ...fault, id: this.nextId++, remaining: fault.times };
    this.pending.push(entry);
    return entry;
  }

  list(): PendingFault[] {
    return this.pending.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.pending = [];
  }

  consume(endpoint: FaultEndpoint): Fault | undefined {
    const index = this.pending.findIndex((entry) => entry.endpoint === endpoint);
    const entry = this.pending[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.pending.splice(index, 1);
    return entry;
  }
}

/**
 * Plays a fault out on the response. Returns true when the fault answered (or swallowed) the request, false
 * when the endpoint should answer normally (a pure delay). `contentType` labels errcode and malformed answers
 * like the endpoint's own (`text/plain` on /sns, JSON on /cgi-bin).
 */
export async function applyFault(fault: Fault, res: ServerResponse, contentType = "text/plain"): Promise<boolean> {
  if (fault.delayMs !== undefined) await sleep(fault.delayMs, res);
  if (res.destroyed) return true;

  if (fault.timeout) {
    // Never answer: hold until the client gives up, then drop the connection like a dead upstream.
    const timer = setTimeout(() => res.destroy(), TIMEOUT_HOLD_MS);
    res.once("close", () => clearTimeout(timer));
    return true;
  }
  if (fault.status !== undefined) {
    const title = `${fault.status} ${fault.status >= 500 ? "Bad Gateway" : "Error"}`;
    send(
      res,
      fault.status,
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n`,
      {
        "Content-Type": "text/html",
      },
    );
    return true;
  }
  if (fault.malformed) {
    // What a captive portal or a truncated proxy answer looks like: 200, text/plain, not JSON.
    send(res, 200, '<html><body>系统繁忙，请稍后再试 {"errcode":', { "Content-Type": contentType });
    return true;
  }
  if (fault.errcode !== undefined) {
    const errmsg = `${fault.errmsg ?? getErrmsg(fault.errcode)}, rid: ${createRid()}`;
    send(res, 200, JSON.stringify({ errcode: fault.errcode, errmsg }), { "Content-Type": contentType });
    return true;
  }
  return false;
}

/** Creates a live-status ticket and its code for this browser: our Official Account QR or the mini-program code. */
import { NextResponse, type NextRequest } from "next/server";
import QRCode from "qrcode";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { clientIp, errorResponse, isSameOriginRequest } from "@/lib/http";
import { ensureBrowserBinding, setBrowserBinding } from "@/lib/login/browser-binding";
import { createLoginTicket, findReusableOaTicket } from "@/lib/login/follow-to-login";
import { safeReturnTo } from "@/lib/login/landing";
import { takeLoginLimits } from "@/lib/login/limits";
import { createMiniProgramTicket, findMiniProgram, findReusableMiniProgramTicket } from "@/lib/login/mini-program";
import type { TicketView } from "@/lib/login/tickets";
import { getEnv } from "@/lib/env";
import { logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

const createSchema = z
  .object({
    returnTo: z.string().max(2048).optional(),
    surface: z.enum(["official_account", "mini_program"]).default("official_account"),
    /** Which mini program (its configuration key); the first one when absent. */
    mp: z.string().max(32).optional(),
  })
  .strict();

export async function POST(request: NextRequest) {
  const binding = ensureBrowserBinding(request.cookies);
  let response: NextResponse;
  try {
    if (!isSameOriginRequest(request)) throw new AppError("cross_origin");
    const body: unknown = await request.json().catch(() => undefined);
    const parsed = createSchema.safeParse(body ?? {});
    if (!parsed.success) throw new AppError("invalid_request");
    const { surface } = parsed.data;
    const returnTo = safeReturnTo(parsed.data.returnTo);
    const ip = clientIp(request);
    const mp = surface === "mini_program" ? findMiniProgram(parsed.data.mp) : undefined;
    if (surface === "mini_program" && !mp) throw new AppError("unknown_app");
    if (surface === "official_account" && !getEnv().wechat.officialAccount) throw new AppError("unknown_app");
    // A reload, a second tab or a scripted burst gets the code this browser already has.
    const reusable = binding.isNew
      ? undefined
      : mp
        ? await findReusableMiniProgramTicket(binding.hash, returnTo, mp)
        : await findReusableOaTicket(binding.hash, returnTo);
    let ticket: TicketView & { qrImage: string; qrUrl?: string };
    if (reusable) {
      ticket = await withImage(reusable);
    } else {
      const limit = await takeLoginLimits(binding.hash, ip);
      if (!limit.ok) {
        logger.warn("login.ticket.rate_limited", { bucket: limit.bucket });
        throw new AppError("rate_limited", { retryAfterSeconds: limit.retryAfterSeconds });
      }
      const input = { bindingHash: binding.hash, returnTo, ip, userAgent: request.headers.get("user-agent") };
      ticket = await withImage(mp ? await createMiniProgramTicket({ ...input, mp }) : await createLoginTicket(input));
    }
    // The openid and the scene never leave the server (an OA QR's content is its qrUrl anyway).
    response = NextResponse.json(ticket, { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    response = errorResponse(request, error);
  }
  setBrowserBinding(response, binding);
  return response;
}

/** The picture the page shows: the mini-program code as WeChat drew it, or our rendering of the OA QR's content. */
async function withImage(ticket: TicketView & ({ codeImage: string } | { qrUrl: string })): Promise<TicketView & { qrImage: string; qrUrl?: string }> {
  if ("codeImage" in ticket) {
    const { codeImage, ...view } = ticket;
    return { ...view, qrImage: codeImage };
  }
  return { ...ticket, qrImage: await QRCode.toDataURL(ticket.qrUrl, { margin: 1, width: 240, errorCorrectionLevel: "M" }) };
}

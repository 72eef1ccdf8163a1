/** Creates a follow-to-login ticket and its QR for this browser. */
import { NextResponse, type NextRequest } from "next/server";
import QRCode from "qrcode";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { clientIp, errorResponse, isSameOriginRequest } from "@/lib/http";
import { ensureBrowserBinding, setBrowserBinding } from "@/lib/login/browser-binding";
import { createLoginTicket, findReusableTicket } from "@/lib/login/follow-to-login";
import { safeReturnTo } from "@/lib/login/landing";
import { takeLoginLimits } from "@/lib/login/limits";
import { logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

const createSchema = z.object({ returnTo: z.string().max(2048).optional() }).strict();

export async function POST(request: NextRequest) {
  const binding = ensureBrowserBinding(request.cookies);
  let response: NextResponse;
  try {
    if (!isSameOriginRequest(request)) throw new AppError("cross_origin");
    const body: unknown = await request.json().catch(() => undefined);
    const parsed = createSchema.safeParse(body ?? {});
    if (!parsed.success) throw new AppError("invalid_request");
    const returnTo = safeReturnTo(parsed.data.returnTo);
    const ip = clientIp(request);
    // A reload, a second tab or a scripted burst gets the QR this browser already has.
    let ticket = binding.isNew ? undefined : await findReusableTicket(binding.hash, returnTo);
    if (!ticket) {
      const limit = await takeLoginLimits(binding.hash, ip);
      if (!limit.ok) {
        logger.warn("login.ticket.rate_limited", { bucket: limit.bucket });
        throw new AppError("rate_limited", { retryAfterSeconds: limit.retryAfterSeconds });
      }
      ticket = await createLoginTicket({ bindingHash: binding.hash, returnTo, ip, userAgent: request.headers.get("user-agent") });
    }
    const qrImage = await QRCode.toDataURL(ticket.qrUrl, { margin: 1, width: 240, errorCorrectionLevel: "M" });
    // qrUrl is what the QR image encodes anyway; the openid and the scene never leave the server.
    response = NextResponse.json({ ...ticket, qrImage }, { status: 201, headers: { "cache-control": "no-store" } });
  } catch (error) {
    response = errorResponse(request, error);
  }
  setBrowserBinding(response, binding);
  return response;
}

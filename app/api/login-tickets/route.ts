/** Creates a follow-to-login ticket and its QR for this browser. */
import { NextResponse, type NextRequest } from "next/server";
import QRCode from "qrcode";
import { z } from "zod";
import { safeReturnTo } from "@/lib/auth/return-to";
import { clientIp, isSameOriginRequest } from "@/lib/http";
import { ensureBinding, setBinding } from "@/lib/login/binding";
import { rateLimitedJson, takeLoginLimits } from "@/lib/login/limits";
import { createLoginTicket, findReusableTicket } from "@/lib/login/tickets";
import { logger } from "@/lib/logger";
import { WechatApiError, WechatTransportError } from "@/lib/wechat/api-client";
import { loginErrorForErrcode } from "@/lib/wechat/error-catalogue";

export const dynamic = "force-dynamic";

const createSchema = z.object({ returnTo: z.string().max(2048).optional() }).strict();

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) {
    return NextResponse.json({ error: "cross-origin request refused" }, { status: 403 });
  }
  const body: unknown = await request.json().catch(() => undefined);
  const parsed = createSchema.safeParse(body ?? {});
  if (!parsed.success) return NextResponse.json({ error: "invalid request" }, { status: 400 });
  const binding = ensureBinding(request);
  const returnTo = safeReturnTo(parsed.data.returnTo);
  const ip = clientIp(request);
  try {
    // A reload, a second tab or a scripted burst gets the QR this browser already has.
    let ticket = binding.isNew ? undefined : await findReusableTicket(binding.hash, returnTo);
    if (!ticket) {
      const limit = await takeLoginLimits(binding.hash, ip);
      if (!limit.ok) {
        logger.warn("login.ticket.rate_limited", { bucket: limit.bucket });
        const refused = rateLimitedJson(request, limit.retryAfterSeconds);
        setBinding(refused, binding);
        return refused;
      }
      ticket = await createLoginTicket({ bindingHash: binding.hash, returnTo, ip, userAgent: request.headers.get("user-agent") });
    }
    const qrImage = await QRCode.toDataURL(ticket.qrUrl, { margin: 1, width: 240, errorCorrectionLevel: "M" });
    // qrUrl is what the QR image encodes anyway; the openid and the scene never leave the server.
    const response = NextResponse.json({ ...ticket, qrImage }, { status: 201, headers: { "cache-control": "no-store" } });
    setBinding(response, binding);
    return response;
  } catch (error) {
    const code =
      error instanceof WechatApiError ? loginErrorForErrcode(error.errcode) : error instanceof WechatTransportError ? (error.kind === "timeout" ? "timeout" : "upstream_unavailable") : "server_error";
    if (code === "server_error") logger.error("login.ticket.create_failed", { error: error instanceof Error ? error.message : String(error) });
    return NextResponse.json({ error: code }, { status: 502, headers: { "cache-control": "no-store" } });
  }
}

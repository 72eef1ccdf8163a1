/** Turns this browser's confirmed ticket into an Auth.js session cookie, once. */
import { NextResponse, type NextRequest } from "next/server";
import { sessionCookie } from "@/lib/auth/cookies";
import { AppError } from "@/lib/errors";
import { clientIp, errorResponse, isSameOriginRequest, readSessionToken } from "@/lib/http";
import { readBrowserBinding, rotateBrowserBinding } from "@/lib/login/browser-binding";
import { redeemTicket } from "@/lib/login/tickets";

export const dynamic = "force-dynamic";

export async function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    if (!isSameOriginRequest(request)) throw new AppError("cross_origin");
    const session = await redeemTicket(id, readBrowserBinding(request.cookies)?.hash, {
      userAgent: request.headers.get("user-agent"),
      ip: clientIp(request),
      previousSessionToken: readSessionToken(request.cookies),
    });
    // The nickname lets the person see whose account this browser is now signed in to.
    const response = NextResponse.json({ returnTo: session.returnTo, nickname: session.nickname }, { headers: { "cache-control": "no-store" } });
    const cookie = sessionCookie(session.sessionToken, session.expires);
    response.cookies.set(cookie.name, cookie.value, cookie.options);
    rotateBrowserBinding(response);
    return response;
  } catch (error) {
    return errorResponse(request, error);
  }
}

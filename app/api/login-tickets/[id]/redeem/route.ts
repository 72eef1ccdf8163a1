/** Turns this browser's confirmed ticket into an Auth.js session cookie, once. */
import { NextResponse, type NextRequest } from "next/server";
import { sessionCookie } from "@/lib/auth/cookies";
import { clientIp, isSameOriginRequest, readSessionToken } from "@/lib/http";
import { readBindingHash, rotateBinding } from "@/lib/login/binding";
import { redeemTicket, TicketError } from "@/lib/login/tickets";

export const dynamic = "force-dynamic";

export async function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  if (!isSameOriginRequest(request)) {
    return NextResponse.json({ error: "cross-origin request refused" }, { status: 403 });
  }
  const { id } = await params;
  try {
    const session = await redeemTicket(id, readBindingHash(request), {
      userAgent: request.headers.get("user-agent"),
      ip: clientIp(request),
      previousSessionToken: readSessionToken(request),
    });
    // The nickname lets the person see whose account this browser is now signed in to.
    const response = NextResponse.json({ returnTo: session.returnTo, nickname: session.nickname }, { headers: { "cache-control": "no-store" } });
    const cookie = sessionCookie(session.sessionToken, session.expires);
    response.cookies.set(cookie.name, cookie.value, cookie.options);
    rotateBinding(response);
    return response;
  } catch (error) {
    if (error instanceof TicketError) {
      const status = error.code === "not_found" ? 404 : 409;
      return NextResponse.json({ error: error.code }, { status, headers: { "cache-control": "no-store" } });
    }
    throw error;
  }
}

/** Sends a binding code to a phone (SMS) or an email address, within the limits. */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { sendBindCode, sessionProofHash } from "@/lib/contact-proof/codes";
import { deliverBindCode } from "@/lib/contact-proof/deliver";
import { getLocaleOf } from "@/lib/i18n/request";
import { clientIp, isSameOriginRequest, publicOrigin, readSessionToken } from "@/lib/http";

export const dynamic = "force-dynamic";

const sendSchema = z.object({ channel: z.enum(["phone", "email"]), target: z.string().max(320) }).strict();

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) return NextResponse.json({ error: "cross_origin" }, { status: 403 });
  const session = await auth();
  if (!session?.user?.id) return NextResponse.json({ error: "signed_out" }, { status: 401 });
  const parsed = sendSchema.safeParse(await request.json().catch(() => undefined));
  if (!parsed.success) return NextResponse.json({ error: "invalid_input" }, { status: 400 });
  const locale = getLocaleOf(request.cookies);
  const result = await sendBindCode({
    userId: session.user.id,
    sessionHash: sessionProofHash(readSessionToken(request.cookies)),
    channel: parsed.data.channel,
    rawTarget: parsed.data.target,
    ip: clientIp(request),
    origin: publicOrigin(request),
    deliver: (message) => deliverBindCode(message, locale),
  });
  const headers: Record<string, string> = { "cache-control": "no-store" };
  if (result.ok) return NextResponse.json(result, { headers });
  if ("retryIn" in result) return NextResponse.json(result, { status: 429, headers: { ...headers, "retry-after": String(result.retryIn) } });
  return NextResponse.json(result, { status: result.error === "send_failed" ? 502 : result.error === "no_session" ? 401 : 422, headers });
}

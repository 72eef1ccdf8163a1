/** Checks a binding code typed in the browser that asked for it, then binds. */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { sessionProofHash, verifyBindCode } from "@/lib/contact-proof/codes";
import { notifyContactMoved } from "@/lib/contact-proof/deliver";
import { getLocaleOf } from "@/lib/i18n/request";
import { clientIp, isSameOriginRequest, readSessionToken } from "@/lib/http";

export const dynamic = "force-dynamic";

const verifySchema = z.object({ channel: z.enum(["phone", "email"]), target: z.string().max(320), code: z.string().max(16) }).strict();

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) return NextResponse.json({ error: "cross_origin" }, { status: 403 });
  const session = await auth();
  if (!session?.user?.id) return NextResponse.json({ error: "signed_out" }, { status: 401 });
  const parsed = verifySchema.safeParse(await request.json().catch(() => undefined));
  if (!parsed.success) return NextResponse.json({ ok: false, error: "invalid_input" }, { status: 400 });
  const result = await verifyBindCode({
    userId: session.user.id,
    sessionHash: sessionProofHash(readSessionToken(request.cookies)),
    channel: parsed.data.channel,
    rawTarget: parsed.data.target,
    code: parsed.data.code.trim(),
    ip: clientIp(request),
    notify: notifyContactMoved(getLocaleOf(request.cookies)),
  });
  return NextResponse.json(result, { status: result.ok ? 200 : 422, headers: { "cache-control": "no-store" } });
}

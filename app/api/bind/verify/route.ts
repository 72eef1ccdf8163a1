/** Checks a binding code; binds, merges after proof, or asks which identity to keep. */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { verifyBindCode } from "@/lib/bind/codes";
import { clientIp, isSameOriginRequest } from "@/lib/http";

export const dynamic = "force-dynamic";

const verifySchema = z.object({ channel: z.enum(["phone", "email"]), target: z.string().max(320), code: z.string().max(16) }).strict();

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) return NextResponse.json({ error: "cross_origin" }, { status: 403 });
  const session = await auth();
  if (!session?.user?.id) return NextResponse.json({ error: "signed_out" }, { status: 401 });
  const parsed = verifySchema.safeParse(await request.json().catch(() => undefined));
  if (!parsed.success) return NextResponse.json({ ok: false, error: "invalid_input" }, { status: 400 });
  const result = await verifyBindCode({ userId: session.user.id, channel: parsed.data.channel, rawTarget: parsed.data.target, code: parsed.data.code.trim(), ip: clientIp(request) });
  return NextResponse.json(result, { status: result.ok === false ? 422 : 200, headers: { "cache-control": "no-store" } });
}

/** The user's answer to "both accounts have this WeChat app: which identity stays?", then the merge. */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { bindVerified } from "@/lib/bind/codes";
import { clientIp, isSameOriginRequest } from "@/lib/http";

export const dynamic = "force-dynamic";

const chooseSchema = z
  .object({ verificationId: z.string().min(1).max(64), keep: z.record(z.string().regex(/^wx[0-9a-f]{16}$/), z.string().min(1).max(64)) })
  .strict();

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) return NextResponse.json({ error: "cross_origin" }, { status: 403 });
  const session = await auth();
  if (!session?.user?.id) return NextResponse.json({ error: "signed_out" }, { status: 401 });
  const parsed = chooseSchema.safeParse(await request.json().catch(() => undefined));
  if (!parsed.success) return NextResponse.json({ ok: false, error: "invalid_input" }, { status: 400 });
  const result = await bindVerified(parsed.data.verificationId, session.user.id, parsed.data.keep, clientIp(request));
  return NextResponse.json(result, { status: result.ok === false ? 422 : 200, headers: { "cache-control": "no-store" } });
}

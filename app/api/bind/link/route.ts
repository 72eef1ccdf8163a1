/**
 * The button on the emailed link's page. Only this POST binds, and only in the browser (the
 * Auth.js session) that asked for the link; a GET of the link never does anything.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { confirmBindLink, sessionProofHash } from "@/lib/contact-proof/codes";
import { notifyContactMoved } from "@/lib/contact-proof/deliver";
import { getLocaleOf } from "@/lib/i18n/request";
import { clientIp, isSameOriginRequest, publicOrigin, readSessionToken } from "@/lib/http";

export const dynamic = "force-dynamic";

const linkSchema = z.object({ token: z.string().max(64) });

function resultPage(request: NextRequest, result: string): NextResponse {
  return NextResponse.redirect(new URL(`/bind/verify?${new URLSearchParams({ result })}`, publicOrigin(request)), { status: 303, headers: { "cache-control": "no-store" } });
}

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) return NextResponse.json({ error: "cross_origin" }, { status: 403 });
  const form = await request.formData().catch(() => undefined);
  const parsed = linkSchema.safeParse({ token: form?.get("token") });
  if (!parsed.success) return resultPage(request, "invalid");
  const session = await auth();
  if (!session?.user?.id) return resultPage(request, "other_browser");
  const result = await confirmBindLink(parsed.data.token, {
    userId: session.user.id,
    sessionHash: sessionProofHash(readSessionToken(request.cookies)),
    ip: clientIp(request),
    notify: notifyContactMoved(getLocaleOf(request.cookies)),
  });
  if (result.ok) return resultPage(request, result.outcome);
  return resultPage(request, result.error === "other_browser" ? "other_browser" : "invalid");
}

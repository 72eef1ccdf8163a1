/**
 * WeChat's redirect_uri: `?code=CODE&state=STATE` after a confirm, `?state=STATE` after a
 * refusal. In the embedded form with `self_redirect=true` this loads inside WeChat's iframe, so
 * the answer then navigates the top window instead of redirecting the frame.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { sessionCookie } from "@/lib/auth/cookies";
import { clientIp, isPrefetch, loginErrorPath, logUnexpected, publicOrigin, readSessionToken } from "@/lib/http";
import { readBrowserBinding, rotateBrowserBinding } from "@/lib/login/browser-binding";
import { completeOAuthCallback, type CallbackOutcome } from "@/lib/login/oauth-callback";

export const dynamic = "force-dynamic";

// Codes are 32 alphanumerics and our states 32; the bounds leave room without accepting junk.
const callbackQuerySchema = z.object({
  code: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
  state: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .optional(),
});

function targetOf(outcome: CallbackOutcome): string {
  if (outcome.kind === "signed_in") return outcome.returnTo;
  if (outcome.kind === "escalate") return `/api/wechat/oa/login?${new URLSearchParams({ scope: "userinfo", returnTo: outcome.returnTo })}`;
  return loginErrorPath(outcome.code, { returnTo: outcome.returnTo, attemptId: outcome.attemptId });
}

function respond(request: NextRequest, outcome: CallbackOutcome): NextResponse {
  const target = new URL(targetOf(outcome), publicOrigin(request)).toString();
  let response: NextResponse;
  if (request.headers.get("sec-fetch-dest") === "iframe") {
    const html = `<!doctype html><meta charset="utf-8"><title>…</title><script>window.top.location.replace(${JSON.stringify(target)});</script><a href="${target.replace(/"/g, "&quot;")}" target="_top">Continue</a>`;
    response = new NextResponse(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  } else {
    response = NextResponse.redirect(target, 303);
  }
  if (outcome.kind === "signed_in" && outcome.session) {
    const cookie = sessionCookie(outcome.session.token, outcome.session.expires);
    response.cookies.set(cookie.name, cookie.value, cookie.options);
    rotateBrowserBinding(response);
  }
  response.headers.set("cache-control", "no-store");
  response.headers.set("referrer-policy", "no-referrer");
  return response;
}

export async function GET(request: NextRequest) {
  // A prefetch must not spend the one-time code meant for the real navigation.
  if (isPrefetch(request)) return new NextResponse(null, { status: 204, headers: { "cache-control": "no-store" } });
  const query = request.nextUrl.searchParams;
  const parsed = callbackQuerySchema.safeParse({ code: query.get("code") ?? undefined, state: query.get("state") ?? undefined });
  if (!parsed.success) return respond(request, { kind: "error", code: "state_invalid" });
  let signedInUser: Promise<string | undefined> | undefined;
  try {
    const outcome = await completeOAuthCallback({
      code: parsed.data.code,
      state: parsed.data.state,
      bindingHash: readBrowserBinding(request.cookies)?.hash,
      // Only duplicates and foreign states need to know who this browser is signed in as.
      currentUserId: () => (signedInUser ??= auth().then((session) => session?.user?.id)),
      browser: { userAgent: request.headers.get("user-agent"), ip: clientIp(request), previousSessionToken: readSessionToken(request.cookies) },
    });
    return respond(request, outcome);
  } catch (error) {
    // The callback always answers with the error page, inside WeChat's iframe too.
    logUnexpected(request, error);
    return respond(request, { kind: "error", code: "server_error" });
  }
}

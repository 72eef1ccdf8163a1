/**
 * Sign-in inside WeChat's browser: 302 to the Official Account's `oauth2/authorize`.
 * `scope=base` (default) is silent and enough for a known user; `scope=userinfo` asks consent.
 */
import { NextResponse, type NextRequest } from "next/server";
import { clientIp, publicOrigin } from "@/lib/http";
import { rateLimitedPage, takeLoginLimits } from "@/lib/login/limits";
import { ensureBinding, setBinding } from "@/lib/login/binding";
import { logger } from "@/lib/logger";
import { BeginError, beginOfficialAccountLogin } from "@/lib/wechat/website-login";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  const query = request.nextUrl.searchParams;
  const scope = query.get("scope") === "userinfo" ? "snsapi_userinfo" : "snsapi_base";
  const binding = ensureBinding(request);
  try {
    const limit = await takeLoginLimits(binding.hash, clientIp(request));
    if (!limit.ok) {
      logger.warn("wechat.oa.begin_rate_limited", { bucket: limit.bucket });
      const refused = rateLimitedPage(request, limit.retryAfterSeconds);
      setBinding(refused, binding);
      return refused;
    }
    const { authorizeUrl } = await beginOfficialAccountLogin({ scope, returnTo: query.get("returnTo"), binding: binding.value, origin: publicOrigin(request) });
    const response = NextResponse.redirect(authorizeUrl, 302);
    response.headers.set("cache-control", "no-store");
    setBinding(response, binding);
    return response;
  } catch (error) {
    const code = error instanceof BeginError ? error.code : "server_error";
    if (code === "server_error") logger.error("wechat.oa.begin_failed", { error: error instanceof Error ? error.message : String(error) });
    return NextResponse.redirect(new URL(`/login/error?reason=${code}`, publicOrigin(request)), 303);
  }
}

/**
 * Sign-in inside WeChat's browser: 302 to the Official Account's `oauth2/authorize`.
 * `scope=base` (default) is silent and enough for a known user; `scope=userinfo` asks consent.
 */
import { NextResponse, type NextRequest } from "next/server";
import { clientIp, errorPage, publicOrigin } from "@/lib/http";
import { ensureBrowserBinding, setBrowserBinding } from "@/lib/login/browser-binding";
import { beginInWechatLogin } from "@/lib/login/in-wechat";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  const query = request.nextUrl.searchParams;
  const scope = query.get("scope") === "userinfo" ? "snsapi_userinfo" : "snsapi_base";
  const binding = ensureBrowserBinding(request.cookies);
  let response: NextResponse;
  try {
    const { authorizeUrl } = await beginInWechatLogin({
      scope,
      returnTo: query.get("returnTo"),
      bindingHash: binding.hash,
      ip: clientIp(request),
      userAgent: request.headers.get("user-agent"),
      origin: publicOrigin(request),
    });
    response = NextResponse.redirect(authorizeUrl, 302);
    response.headers.set("cache-control", "no-store");
  } catch (error) {
    response = errorPage(request, error);
  }
  setBrowserBinding(response, binding);
  return response;
}

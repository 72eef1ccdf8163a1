/**
 * Starts a WeChat website login: mints a browser-bound `state`.
 * GET  → 302 to WeChat's full-page QR (redirect mode; works without JavaScript).
 * POST → JSON options for the embedded `wxLogin.js` QR.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { bindingCookie, bindingCookieName } from "@/lib/auth/cookies";
import { clientIp, isSameOriginRequest, publicOrigin, readCookie } from "@/lib/http";
import { LOCALES } from "@/lib/i18n/messages";
import { readBindingHash } from "@/lib/login/binding";
import { rateLimitedJson, rateLimitedPage, takeLoginLimits } from "@/lib/login/limits";
import { logger } from "@/lib/logger";
import { BeginError, beginWebsiteLogin, type BeginResult } from "@/lib/wechat/website-login";

export const dynamic = "force-dynamic";

const beginSchema = z.object({
  app: z.enum(["web", "web2"]).optional(),
  returnTo: z.string().max(2048).optional(),
  selfRedirect: z.boolean().optional(),
  lang: z.enum(LOCALES).optional(),
});

function withBinding(response: NextResponse, result: BeginResult): NextResponse {
  if (result.newBinding) {
    const cookie = bindingCookie(result.newBinding);
    response.cookies.set(cookie.name, cookie.value, cookie.options);
  }
  response.headers.set("cache-control", "no-store");
  return response;
}

/**
 * Takes one login-state use for this browser and address. A browser without a (valid) cookie
 * is counted under a hash no one else has, so only the per-address limit holds it.
 */
async function takeBeginLimit(request: NextRequest): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
  const key = readBindingHash(request) ?? `new:${crypto.randomUUID()}`;
  const limit = await takeLoginLimits(key, clientIp(request));
  if (limit.ok) return { ok: true };
  logger.warn("wechat.begin.rate_limited", { bucket: limit.bucket });
  return { ok: false, retryAfterSeconds: limit.retryAfterSeconds };
}

function errorRedirect(request: NextRequest, code: string): NextResponse {
  return NextResponse.redirect(new URL(`/login/error?reason=${encodeURIComponent(code)}`, publicOrigin(request)), 303);
}

export async function GET(request: NextRequest) {
  const query = request.nextUrl.searchParams;
  const parsed = beginSchema.safeParse({
    app: query.get("app") ?? undefined,
    returnTo: query.get("returnTo") ?? undefined,
    lang: query.get("lang") ?? undefined,
  });
  if (!parsed.success) return errorRedirect(request, "unknown_app");
  try {
    const limit = await takeBeginLimit(request);
    if (!limit.ok) return rateLimitedPage(request, limit.retryAfterSeconds);
    const result = await beginWebsiteLogin({ ...parsed.data, appKey: parsed.data.app, mode: "redirect", binding: readCookie(request, bindingCookieName()), origin: publicOrigin(request) });
    return withBinding(NextResponse.redirect(result.qrconnectUrl, 302), result);
  } catch (error) {
    if (error instanceof BeginError) return errorRedirect(request, error.code);
    logger.error("wechat.begin.failed", { error: error instanceof Error ? error.message : String(error) });
    return errorRedirect(request, "server_error");
  }
}

export async function POST(request: NextRequest) {
  if (!isSameOriginRequest(request)) {
    return NextResponse.json({ error: "cross-origin request refused" }, { status: 403 });
  }
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return NextResponse.json({ error: "body must be JSON" }, { status: 400 });
  }
  const parsed = beginSchema.safeParse(body);
  if (!parsed.success) return NextResponse.json({ error: "invalid request", issues: parsed.error.issues.map((issue) => issue.path.join(".")) }, { status: 400 });
  try {
    const limit = await takeBeginLimit(request);
    if (!limit.ok) return rateLimitedJson(request, limit.retryAfterSeconds);
    const result = await beginWebsiteLogin({ ...parsed.data, appKey: parsed.data.app, mode: "embedded", binding: readCookie(request, bindingCookieName()), origin: publicOrigin(request) });
    const { newBinding: _omit, ...publicResult } = result;
    return withBinding(NextResponse.json(publicResult), result);
  } catch (error) {
    if (error instanceof BeginError) return NextResponse.json({ error: error.code }, { status: 400 });
    logger.error("wechat.begin.failed", { error: error instanceof Error ? error.message : String(error) });
    return NextResponse.json({ error: "server_error" }, { status: 500 });
  }
}

/**
 * The JSON API the mini program calls over `wx.request` (app/api/miniprogram/*). A mini program
 * is not a browser: it sends no cookies and no Origin, so the only credentials are what it
 * carries in the body (the code's scene with `wx.login`'s code, then the scan's one-time token).
 * Input is checked with zod, failures go through the one error path in the caller's language
 * (Accept-Language), and the client address follows the trusted-proxy rules like every route.
 *
 * The emulator's phone page plays the mini program in a browser, on its own origin; only while
 * the app runs against the emulator does that origin get CORS headers.
 */
import "server-only";
import { NextResponse, type NextRequest } from "next/server";
import type { z } from "zod";
import { getEnv } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { getLocaleOfCaller } from "@/lib/i18n/request";
import type { Locale } from "@/lib/i18n/messages";
import { clientIp, publicOrigin } from "./request";
import { errorResponse } from "./respond";

/** The emulator's origin, when the app runs against it; no other origin is ever allowed. */
function emulatorOrigin(request: NextRequest): string | undefined {
  const { wechat } = getEnv();
  const origin = request.headers.get("origin");
  return wechat.usesEmulator && origin !== null && origin === new URL(wechat.openBaseUrl).origin ? origin : undefined;
}

function withCors(request: NextRequest, response: NextResponse): NextResponse {
  const origin = emulatorOrigin(request);
  response.headers.set("vary", "Origin");
  if (origin) response.headers.set("access-control-allow-origin", origin);
  return response;
}

/** The browser's preflight, for the emulator's phone page only. */
export function miniProgramPreflight(request: NextRequest): NextResponse {
  const response = new NextResponse(null, { status: 204 });
  if (emulatorOrigin(request)) {
    response.headers.set("access-control-allow-methods", "POST");
    response.headers.set("access-control-allow-headers", "content-type, accept-language");
    response.headers.set("access-control-max-age", "600");
  }
  return withCors(request, response);
}

export type MiniProgramCaller = { ip: string | null; locale: Locale; host: string };

/** Parses the body with `schema`, runs `handle`, and answers JSON, errors included. */
export async function answerMiniProgram<Schema extends z.ZodType>(
  request: NextRequest,
  schema: Schema,
  handle: (input: z.output<Schema>, caller: MiniProgramCaller) => Promise<unknown>,
): Promise<NextResponse> {
  let response: NextResponse;
  try {
    const body: unknown = await request.json().catch(() => undefined);
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AppError("invalid_request");
    const { host } = new URL(publicOrigin(request));
    const result = await handle(parsed.data, { ip: clientIp(request), locale: getLocaleOfCaller(request), host });
    response = NextResponse.json(result, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    response = errorResponse(request, error);
  }
  return withCors(request, response);
}

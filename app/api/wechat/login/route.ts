/**
 * Starts a WeChat website login: mints a browser-bound `state`.
 * GET  → 302 to WeChat's full-page QR (redirect form; works without JavaScript).
 * POST → JSON options for the embedded `wxLogin.js` QR.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { clientIp, errorPage, errorResponse, isSameOriginRequest, publicOrigin } from "@/lib/http";
import { LOCALES } from "@/lib/i18n/messages";
import { ensureBrowserBinding, setBrowserBinding } from "@/lib/login/browser-binding";
import { beginWebsiteLogin, type WebsiteQrForm } from "@/lib/login/website-qr";

export const dynamic = "force-dynamic";

const beginSchema = z.object({
  app: z.string().max(32).optional(),
  returnTo: z.string().max(2048).optional(),
  selfRedirect: z.boolean().optional(),
  lang: z.enum(LOCALES).optional(),
});

async function begin(request: NextRequest, form: WebsiteQrForm, input: z.infer<typeof beginSchema>) {
  const binding = ensureBrowserBinding(request.cookies);
  const result = await beginWebsiteLogin({
    ...input,
    appKey: input.app,
    form,
    bindingHash: binding.hash,
    ip: clientIp(request),
    userAgent: request.headers.get("user-agent"),
    origin: publicOrigin(request),
  });
  return { binding, result };
}

function noStore(response: NextResponse): NextResponse {
  response.headers.set("cache-control", "no-store");
  return response;
}

export async function GET(request: NextRequest) {
  const query = request.nextUrl.searchParams;
  const parsed = beginSchema.safeParse({
    app: query.get("app") ?? undefined,
    returnTo: query.get("returnTo") ?? undefined,
    lang: query.get("lang") ?? undefined,
  });
  try {
    if (!parsed.success) throw new AppError("unknown_app");
    const { binding, result } = await begin(request, "redirect", parsed.data);
    const response = noStore(NextResponse.redirect(result.qrconnectUrl, 302));
    setBrowserBinding(response, binding);
    return response;
  } catch (error) {
    return errorPage(request, error);
  }
}

export async function POST(request: NextRequest) {
  try {
    if (!isSameOriginRequest(request)) throw new AppError("cross_origin");
    const parsed = beginSchema.safeParse(await request.json().catch(() => undefined));
    if (!parsed.success) throw new AppError("invalid_request", { detail: { issues: parsed.error.issues.map((issue) => issue.path.join(".")) } });
    const { binding, result } = await begin(request, "embedded", parsed.data);
    const response = noStore(NextResponse.json(result));
    setBrowserBinding(response, binding);
    return response;
  } catch (error) {
    return errorResponse(request, error);
  }
}

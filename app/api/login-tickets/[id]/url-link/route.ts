/** The same-phone URL Link for this browser's mini-program ticket (a POST: it may spend WeChat's quota). */
import { NextResponse, type NextRequest } from "next/server";
import { AppError } from "@/lib/errors";
import { errorResponse, isSameOriginRequest } from "@/lib/http";
import { readBrowserBinding } from "@/lib/login/browser-binding";
import { getSameDeviceLink } from "@/lib/login/mini-program";

export const dynamic = "force-dynamic";

export async function POST(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    if (!isSameOriginRequest(request)) throw new AppError("cross_origin");
    const urlLink = await getSameDeviceLink(id, readBrowserBinding(request.cookies)?.hash);
    return NextResponse.json({ urlLink }, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(request, error);
  }
}

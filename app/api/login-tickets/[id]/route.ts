/** A ticket's status, for browsers that cannot keep a stream open (the polling fallback). */
import { NextResponse, type NextRequest } from "next/server";
import { errorResponse } from "@/lib/http";
import { readBrowserBinding } from "@/lib/login/browser-binding";
import { getTicketForBrowser } from "@/lib/login/tickets";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const view = await getTicketForBrowser(id, readBrowserBinding(request.cookies)?.hash);
    return NextResponse.json(view, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(request, error);
  }
}

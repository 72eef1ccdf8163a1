/** A ticket's status, for browsers that cannot keep a stream open (the polling fallback). */
import { NextResponse, type NextRequest } from "next/server";
import { readBindingHash } from "@/lib/login/binding";
import { getTicketForBrowser, TicketError } from "@/lib/login/tickets";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  try {
    const view = await getTicketForBrowser(id, readBindingHash(request));
    return NextResponse.json(view, { headers: { "cache-control": "no-store" } });
  } catch (error) {
    if (error instanceof TicketError) return NextResponse.json({ error: "not_found" }, { status: 404 });
    throw error;
  }
}

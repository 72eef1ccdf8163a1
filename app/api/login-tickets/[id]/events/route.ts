/**
 * Server-Sent Events with a ticket's status as it changes. The current status comes first; the
 * stream ends on a final status or at the ticket's expiry. Comments every 15 s keep proxies
 * from closing an idle stream; where a platform cuts streams anyway, the page falls back to
 * polling the ticket.
 */
import type { NextRequest } from "next/server";
import { getLoginBus, type TicketStatus } from "@/lib/login/bus";
import { readBindingHash } from "@/lib/login/binding";
import { expireTicket, getTicketForBrowser, TicketError } from "@/lib/login/tickets";

export const dynamic = "force-dynamic";

const FINAL: TicketStatus[] = ["confirmed", "redeemed", "expired", "cancelled", "error"];
const HEARTBEAT_MS = 15_000;

export async function GET(request: NextRequest, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const bindingHash = readBindingHash(request);
  const encoder = new TextEncoder();
  let cleanup = () => {};

  // Subscribe before reading, so a change between the read and the subscription is not lost.
  const pending: TicketStatus[] = [];
  let push: (status: TicketStatus) => void = (status) => void pending.push(status);
  const unsubscribe = getLoginBus().subscribe(id, (event) => push(event.status));

  let view;
  try {
    view = await getTicketForBrowser(id, bindingHash);
  } catch (error) {
    unsubscribe();
    if (error instanceof TicketError) return new Response("not found", { status: 404 });
    throw error;
  }

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let last: TicketStatus | undefined;
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        cleanup();
        controller.close();
      };
      const send = (status: TicketStatus) => {
        if (closed || status === last) return;
        last = status;
        controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify({ status })}\n\n`));
        if (FINAL.includes(status)) close();
      };
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      send(view.status);
      for (const status of pending) send(status);
      push = send;
      const heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(": ping\n\n"));
      }, HEARTBEAT_MS);
      const untilExpiry = Math.max(0, new Date(view.expiresAt).getTime() - Date.now());
      const expiry = setTimeout(() => {
        void expireTicket(id).finally(() => send("expired"));
      }, untilExpiry + 50);
      cleanup = () => {
        clearInterval(heartbeat);
        clearTimeout(expiry);
        unsubscribe();
      };
      request.signal.addEventListener("abort", close);
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}

/**
 * A browser watching its login ticket: the current status first, then every change as it
 * happens, until a final status or the ticket's expiry. The transport (a Server-Sent Events
 * response) is behind {@link WatchSink}, so this holds no request objects of its own.
 *
 * Memory matters here: a login page waits for minutes, and a busy site has thousands waiting.
 * A watch is one bus listener, one expiry timer and a few closures; the keep-alive comments go
 * out from one timer shared by every watch of the process, not a timer each.
 */
import "server-only";
import { logger } from "@/lib/logger";
import { getLoginBus, type TicketStatus } from "./bus";
import { trackStream } from "@/lib/telemetry";
import { releaseStreamLease, takeStreamLease } from "./limits";
import { AppError } from "@/lib/errors";
import { expireTicket, getTicketForBrowser, isTicketId } from "./tickets";

/** Where a watch writes its text/event-stream chunks. `end` finishes the response. */
export type WatchSink = { write(chunk: string): void; end(): void };

export type TicketWatch = { close(): void };

const FINAL = new Set<TicketStatus>(["confirmed", "redeemed", "expired", "cancelled", "error"]);

/** Keep-alive comments, often enough that proxies with a 30-60 s idle timeout leave the stream open. */
export const HEARTBEAT_MS = 15_000;
/** Told to EventSource: reconnect after 2 s when the stream is cut. */
const RETRY_MS = 2000;

const pinged = new Set<WatchSink>();
let heartbeat: NodeJS.Timeout | undefined;

function startPinging(sink: WatchSink): void {
  pinged.add(sink);
  if (heartbeat) return;
  heartbeat = setInterval(() => {
    for (const each of pinged) each.write(": ping\n\n");
  }, HEARTBEAT_MS);
  // Waiting pages never keep the process alive on their own.
  heartbeat.unref();
}

function stopPinging(sink: WatchSink): void {
  pinged.delete(sink);
  if (pinged.size === 0 && heartbeat) {
    clearInterval(heartbeat);
    heartbeat = undefined;
  }
}

/** Streams being pinged right now (for tests). */
export function openWatchCount(): number {
  return pinged.size;
}

function statusEvent(status: TicketStatus): string {
  return `event: status\ndata: {"status":"${status}"}\n\n`;
}

/**
 * Starts watching ticket `id` for the browser whose binding hashes to `bindingHash`. Throws
 * AppError("not_found") before writing anything when the ticket is not this browser's, so
 * the caller can still answer 404. The sink is ended on a final status; call `close()` when the
 * browser goes away.
 */
export async function watchTicket(id: string, bindingHash: string | undefined, sink: WatchSink, onClose?: () => void): Promise<TicketWatch> {
  // Subscribe before reading, so a change between the read and the subscription is not lost.
  const pending: TicketStatus[] = [];
  let deliver: (status: TicketStatus) => void = (status) => void pending.push(status);
  const unsubscribe = getLoginBus().subscribe(id, (event) => deliver(event.status));

  let view;
  try {
    view = await getTicketForBrowser(id, bindingHash);
  } catch (error) {
    unsubscribe();
    throw error;
  }

  let last: TicketStatus | undefined;
  let closed = false;
  let expiry: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearTimeout(expiry);
    stopPinging(sink);
    sink.end();
    onClose?.();
  };
  const send = (status: TicketStatus): void => {
    if (closed || status === last) return;
    last = status;
    sink.write(statusEvent(status));
    if (FINAL.has(status)) close();
  };

  sink.write(`retry: ${RETRY_MS}\n\n`);
  send(view.status);
  for (const status of pending) send(status);
  deliver = send;
  if (!closed) {
    startPinging(sink);
    const untilExpiry = Math.max(0, new Date(view.expiresAt).getTime() - Date.now());
    expiry = setTimeout(() => {
      expireTicket(id)
        .catch((error: unknown) => logger.error("login.ticket.expire_failed", { reason: error instanceof Error ? error.message : String(error) }))
        .finally(() => send("expired"));
    }, untilExpiry + 50);
  }
  return { close };
}

export type LeasedWatch = { kind: "watching"; watch: TicketWatch } | { kind: "limited"; retryAfterSeconds: number };

/**
 * {@link watchTicket} holding a lease on one of the open streams this browser and this address
 * may have; the lease goes back when the watch closes, however it closes. Malformed ids and
 * browsers without a binding are refused (not_found) before anything is read or leased.
 */
export async function watchTicketLeased(id: string, bindingHash: string | undefined, ip: string | null, sink: WatchSink): Promise<LeasedWatch> {
  if (!isTicketId(id) || !bindingHash) throw new AppError("not_found");
  const lease = await takeStreamLease(bindingHash, ip);
  if (!lease.ok) {
    logger.warn("login.stream.rate_limited", { bucket: lease.bucket });
    return { kind: "limited", retryAfterSeconds: lease.retryAfterSeconds };
  }
  let released = false;
  trackStream(1);
  const release = (): void => {
    if (released) return;
    released = true;
    trackStream(-1);
    releaseStreamLease(lease.ids).catch((error: unknown) =>
      // The lease then ends with its TTL; the browser is only held back until then.
      logger.warn("login.stream.release_failed", { reason: error instanceof Error ? error.message : String(error) }),
    );
  };
  try {
    return { kind: "watching", watch: await watchTicket(id, bindingHash, sink, release) };
  } catch (error) {
    release();
    throw error;
  }
}

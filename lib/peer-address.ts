/**
 * The socket's peer address, carried to route handlers in a header only our own server writes.
 *
 * Next.js gives App Router handlers no socket, and it fills X-Forwarded-For with the peer only
 * when the client sent none (so a client can put anything there). `installPeerAddressHeader`
 * runs once per Node server process (instrumentation.ts): for every request it overwrites
 * {@link PEER_HEADER} with `socket.remoteAddress`, so a client-sent value never survives.
 */
import { Server } from "node:http";

export const PEER_HEADER = "x-wxlogin-peer";

const INSTALLED = Symbol.for("wxlogin.peerAddressHeader");

export function installPeerAddressHeader(): void {
  const proto = Server.prototype as Server & { [INSTALLED]?: boolean };
  if (proto[INSTALLED]) return;
  proto[INSTALLED] = true;
  const emit = proto.emit;
  proto.emit = function patchedEmit(this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const request = args[0] as { headers: Record<string, string | string[] | undefined>; socket?: { remoteAddress?: string } };
      const peer = request.socket?.remoteAddress;
      if (peer) request.headers[PEER_HEADER] = peer;
      else delete request.headers[PEER_HEADER];
    }
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof emit;
}

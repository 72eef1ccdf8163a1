/**
 * `GET /api/login-tickets/<id>/events`: Server-Sent Events with the ticket's status as it changes
 * (see lib/login/ticket-watch.ts). Comments every 15 s keep proxies from closing the idle stream;
 * where a platform cuts streams anyway, the page falls back to polling `/api/login-tickets/<id>`.
 *
 * Why this one route lives in the Pages Router: a waiting page holds its response open for
 * minutes. An App Router route handler returns a web ReadableStream, and Next keeps the whole
 * request pipeline (its promises, contexts and request wrappers, ~70 KiB) alive until that stream
 * ends. A Pages API route writes to Node's response directly and Next's part is over once the
 * handler returns, so a waiting browser costs the socket and the watch, not the pipeline.
 * `npm run bench:live` measures the difference (bench/README.md).
 */
import type { NextApiRequest, NextApiResponse } from "next";
import { isAppError } from "@/lib/errors";
import { clientIpFromHeaders, retryMessage, type CookieReader } from "@/lib/http";
import { getLocaleOf } from "@/lib/i18n/request";
import { readBrowserBinding } from "@/lib/login/browser-binding";
import { watchTicketLeased, type TicketWatch } from "@/lib/login/ticket-watch";

export const config = {
  // No body to parse; and the response outlives the handler on purpose, which Next should not warn about.
  api: { bodyParser: false, externalResolver: true },
};

const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  // no-transform also keeps Next's gzip off this response, which would hold events back.
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};

export default async function handler(request: NextApiRequest, response: NextApiResponse): Promise<void> {
  if (request.method !== "GET") {
    response.setHeader("allow", "GET");
    response.status(405).end("method not allowed");
    return;
  }
  const id = typeof request.query.id === "string" ? request.query.id : "";

  let watch: TicketWatch | undefined;
  let gone = false;
  response.once("close", () => {
    gone = true;
    watch?.close();
  });

  // Next has parsed the cookies of a Pages API request already; these adapters read them, and the
  // headers, the way the App Router's helpers do.
  const cookies: CookieReader = { get: (name) => (request.cookies[name] === undefined ? undefined : { value: request.cookies[name] }) };
  const headers = { get: (name: string) => (typeof request.headers[name] === "string" ? request.headers[name] : null) };
  try {
    const result = await watchTicketLeased(id, readBrowserBinding(cookies)?.hash, clientIpFromHeaders(headers), {
      write(chunk) {
        if (!response.headersSent) response.writeHead(200, STREAM_HEADERS);
        response.write(chunk);
      },
      end() {
        response.end();
      },
    });
    if (result.kind === "limited") {
      // EventSource gives up on a non-200 answer, and the page then polls the status instead.
      response.setHeader("retry-after", String(result.retryAfterSeconds));
      response
        .status(429)
        .setHeader("content-type", "text/plain; charset=utf-8")
        .end(retryMessage(getLocaleOf(cookies), result.retryAfterSeconds));
      return;
    }
    watch = result.watch;
  } catch (error) {
    if (!isAppError(error, "not_found")) throw error;
    response.status(404).setHeader("content-type", "text/plain; charset=utf-8").end("not found");
    return;
  }
  // The browser left while the ticket was being read.
  if (gone) watch.close();
}

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** An error that maps to one HTTP status and a message safe to show the caller. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

// A body can be read once from the stream; the rid log (rid-log.ts) needs it after the handler did.
const bodies = new WeakMap<IncomingMessage, Promise<string>>();
// Who wants to see what `send` answers on a response (the rid log).
const sendHooks = new WeakMap<ServerResponse, (payload: Buffer) => void>();

/** Reads a request body as UTF-8, refusing anything over 1 MiB. Reading twice gives the same text. */
export function readBody(req: IncomingMessage): Promise<string> {
  let body = bodies.get(req);
  if (!body) {
    body = readStream(req);
    bodies.set(req, body);
  }
  return body;
}

/** Has `hook` see the body `send` answers on `res`, just before it goes out. */
export function onSend(res: ServerResponse, hook: (payload: Buffer) => void): void {
  sendHooks.set(res, hook);
}

async function readStream(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, "request body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Sends a JSON body with the given status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, JSON.stringify(body), { "Content-Type": "application/json; charset=utf-8", ...headers });
}

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  send(res, status, html, { "Content-Type": "text/html; charset=utf-8", ...headers });
}

/** Sends a body with explicit headers; `Cache-Control: no-store` unless told otherwise. */
export function send(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  res.writeHead(status, { "Cache-Control": "no-store", "Content-Length": String(payload.length), ...headers });
  sendHooks.get(res)?.(payload);
  res.end(payload);
}

/** The `rid` WeChat appends to every errmsg: three groups of 8 hex digits. */
export function createRid(): string {
  const hex = randomBytes(12).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** Serialises data for an inline `<script type="application/json">` without letting it close the tag. */
export function toInlineJson(data: unknown): string {
  return JSON.stringify(data).replaceAll("<", "\\u003c").replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
}

/** Resolves after `ms`, or early when the request goes away. */
export function sleep(ms: number, res?: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      res?.off("close", done);
      resolve();
    }
    res?.once("close", done);
  });
}

/** One cookie of the request, URI-decoded; undefined when absent or undecodable. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Sends a redirect (302 unless told otherwise) with an empty body. */
export function redirect(res: ServerResponse, location: string, status = 302, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "Cache-Control": "no-store", "Content-Length": "0", Location: location, ...headers });
  res.end();
}

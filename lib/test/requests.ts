/**
 * Requests as a route handler gets them from a browser: a NextRequest with cookies and the
 * socket peer's address (what lib/http trusts as the client IP), and the cookies an answer sets.
 */
import { NextRequest } from "next/server";
import { PEER_HEADER } from "@/lib/peer-address";

export const ROUTE_ORIGIN = "http://localhost:3997";

export type RouteRequestOptions = {
  method?: string;
  ip?: string;
  cookies?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
};

function cookieHeader(cookies: Record<string, string | undefined>): string {
  return Object.entries(cookies)
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}

/** A JSON request to `path` from a desktop Chrome at `ip` (198.51.100.20 unless given). */
export function routeRequest(path: string, options: RouteRequestOptions = {}): NextRequest {
  const headers = new Headers({
    "content-type": "application/json",
    [PEER_HEADER]: options.ip ?? "198.51.100.20",
    "user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0",
  });
  const cookie = cookieHeader(options.cookies ?? {});
  if (cookie) headers.set("cookie", cookie);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  return new NextRequest(`${ROUTE_ORIGIN}${path}`, {
    method: options.method ?? "GET",
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
}

/** The value a Set-Cookie of `name` carries on `response`, and its Max-Age. */
export function setCookie(response: Response, name: string): { value: string; maxAge: number | undefined } | undefined {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const index = pair!.indexOf("=");
    if (pair!.slice(0, index) !== name) continue;
    const maxAge = attributes.map((part) => /^\s*max-age=(\d+)/i.exec(part)?.[1]).find(Boolean);
    return { value: pair!.slice(index + 1), maxAge: maxAge ? Number(maxAge) : undefined };
  }
  return undefined;
}

/** Small request helpers for route handlers. */
import "server-only";
import { getEnv } from "@/lib/env";

/** Our public origin: AUTH_URL when set (behind proxies), else the request's own origin. */
export function publicOrigin(request: Request): string {
  const configured = getEnv().authUrl;
  if (configured) return new URL(configured).origin;
  const url = new URL(request.url);
  const forwardedHost = request.headers.get("x-forwarded-host");
  const forwardedProto = request.headers.get("x-forwarded-proto");
  if (forwardedHost) return `${forwardedProto === "https" ? "https" : url.protocol.replace(":", "")}://${forwardedHost}`;
  return url.origin;
}

/** The client IP as the nearest proxy reports it; only for display and logs, never for trust. */
export function clientIp(request: Request): string | null {
  return clientIpFromHeaders(request.headers);
}

/** {@link clientIp} for server actions, which see headers but no Request. */
export function clientIpFromHeaders(headers: Headers): string | null {
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  return forwarded || headers.get("x-real-ip") || null;
}

export function readCookie(request: Request, name: string): string | undefined {
  return readCookieHeader(request.headers.get("cookie"), name);
}

/** Cookie `name` from a raw Cookie header (for handlers that get Node's request, not a Request). */
export function readCookieHeader(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index > 0 && part.slice(0, index).trim() === name) return decodeCookieValue(part.slice(index + 1).trim());
  }
  return undefined;
}

/** A malformed percent-escape (`%E0%A4%A`) reads as no cookie, never as a thrown URIError. */
function decodeCookieValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** True for speculative loads (link prefetch, prerender) that must not spend one-time codes. */
export function isPrefetch(request: Request): boolean {
  const purpose = request.headers.get("sec-purpose") ?? request.headers.get("purpose") ?? "";
  return purpose.includes("prefetch") || request.headers.has("next-router-prefetch");
}

/**
 * False for a browser request sent from another origin (the Origin header names it). Requests
 * without Origin (same-origin GETs, server-to-server) pass: they carry no cross-site intent.
 */
export function isSameOriginRequest(request: Request): boolean {
  const origin = request.headers.get("origin");
  return !origin || origin === publicOrigin(request) || origin === new URL(request.url).origin;
}

/** What a route may trust of a request: our public origin, the client address, its intent. */
import "server-only";
import { isIP } from "node:net";
import { sessionCookieName } from "@/lib/auth/cookies";
import { getEnv, type TrustedProxies } from "@/lib/env";
import { PEER_HEADER } from "@/lib/peer-address";

/**
 * Our public origin: AUTH_URL (required in production), else the request's own URL. Forwarded
 * host headers are never read: a client could point redirect_uri and emailed links anywhere.
 */
export function publicOrigin(request: Request): string {
  const configured = getEnv().authUrl;
  if (configured) return new URL(configured).origin;
  return new URL(request.url).origin;
}

/**
 * {@link publicOrigin} for server actions, which see headers but no Request: AUTH_URL, else (in
 * development only, since production requires AUTH_URL) the Host the browser addressed.
 */
export function publicOriginFromHeaders(headers: Headers): string {
  const configured = getEnv().authUrl;
  if (configured) return new URL(configured).origin;
  return new URL(`http://${headers.get("host") ?? "localhost"}`).origin;
}

/**
 * The client's address, as far as it can be trusted: the socket's peer, or with TRUSTED_PROXIES
 * the address our own proxies saw. Every IP the product stores, shows or limits on comes from here.
 */
export function clientIp(request: Request): string | null {
  return clientIpFromHeaders(request.headers);
}

/** What {@link clientIpFromHeaders} reads: `Headers`, or an adapter over Node's request headers. */
export type HeaderReader = { get(name: string): string | null };

/** {@link clientIp} for server actions and the Pages API route, which see headers but no Request. */
export function clientIpFromHeaders(headers: HeaderReader): string | null {
  return resolveClientIp(headers.get(PEER_HEADER), headers.get("x-forwarded-for"), getEnv().trustedProxies);
}

/**
 * Walks the chain client → proxies → socket peer from our end. Each trusted hop may name the
 * hop before it; the first address we cannot vouch for is the client. Entries are validated as
 * IPs: a malformed one ends the walk at the last trusted hop.
 */
export function resolveClientIp(peer: string | null, forwardedFor: string | null, trusted: TrustedProxies): string | null {
  const chain = [...(forwardedFor ?? "").split(",").map((entry) => normalizeIp(entry.trim())), normalizeIp(peer?.trim() ?? "")];
  let index = chain.length - 1;
  if (trusted.kind === "hops") {
    for (let hop = 0; hop < trusted.hops && index > 0 && chain[index - 1]; hop++) index--;
    return chain[index] ?? null;
  }
  while (index > 0) {
    const address = chain[index];
    if (!address || !isTrusted(address, trusted.list)) break;
    if (!chain[index - 1]) break;
    index--;
  }
  return chain[index] ?? null;
}

function isTrusted(address: string, list: Extract<TrustedProxies, { kind: "cidrs" }>["list"]): boolean {
  return list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

/** A valid IP without port, brackets or the `::ffff:` prefix of a mapped IPv4; else undefined. */
function normalizeIp(value: string): string | undefined {
  let address = value.replace(/^\[([^\]]+)\](:\d+)?$/, "$1");
  if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.replace(/:\d+$/, "");
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) address = address.slice(7);
  return isIP(address) ? address.toLowerCase() : undefined;
}

/** What Next gives us to read cookies with: `request.cookies` or `await cookies()`. */
export type CookieReader = { get(name: string): { value: string } | undefined };

/** This browser's Auth.js session token, if it sent one. */
export function readSessionToken(cookies: CookieReader): string | undefined {
  return cookies.get(sessionCookieName())?.value;
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

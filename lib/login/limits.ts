/**
 * Abuse limits of the sign-in flows. Each login state and ticket may cost a WeChat call (a
 * `qrcode/create` against the Official Account's daily quota) and a database row, and each open
 * stream a socket and a watch, so anonymous clients are limited per browser (the binding hash;
 * a client without a cookie gets a new one each time, which the per-IP limit then catches) and
 * per trusted client address.
 */
import "server-only";
import { NextResponse } from "next/server";
import { releaseLimits, takeLimits, type Limit, type LimitResult } from "@/lib/db/limits";
import { getEnv } from "@/lib/env";
import { formatWait } from "@/lib/i18n/durations";
import { translator, type Locale } from "@/lib/i18n/messages";
import { getLocaleOf } from "@/lib/i18n/request";

const LOGIN_WINDOW_SECONDS = 10 * 60;
/** A lease outlives any ticket (5 minutes by default), so only a crashed process leaves one behind. */
const STREAM_LEASE_SECONDS = 30 * 60;

function limitsFor(prefix: string, bindingHash: string, ip: string | null, perBrowser: number, perIp: number, ttlSeconds: number): Limit[] {
  const limits: Limit[] = [{ bucket: `${prefix}.browser`, key: bindingHash, max: perBrowser, ttlSeconds }];
  if (ip) limits.push({ bucket: `${prefix}.ip`, key: ip, max: perIp, ttlSeconds });
  return limits;
}

/** One new login state or ticket for this browser and address, within the 10-minute window. */
export function takeLoginLimits(bindingHash: string, ip: string | null): Promise<LimitResult> {
  const { loginPerBrowser, loginPerIp } = getEnv().limits;
  return takeLimits(limitsFor("login", bindingHash, ip, loginPerBrowser, loginPerIp, LOGIN_WINDOW_SECONDS));
}

/** A lease on one open live-status stream; give it back with {@link releaseStreamLease}. */
export function takeStreamLease(bindingHash: string, ip: string | null): Promise<LimitResult> {
  const { streamsPerBrowser, streamsPerIp } = getEnv().limits;
  return takeLimits(limitsFor("stream", bindingHash, ip, streamsPerBrowser, streamsPerIp, STREAM_LEASE_SECONDS));
}

export const releaseStreamLease = releaseLimits;

/** "Try again in N seconds/minutes", in the visitor's language. */
export function retryMessage(locale: Locale, retryAfterSeconds: number): string {
  const t = translator(locale);
  return t("login.limited", { wait: formatWait(t, retryAfterSeconds) });
}

/** The refusal every limited sign-in API answers: 429, Retry-After and a localized message. */
export function rateLimitedJson(request: Request, retryAfterSeconds: number): NextResponse {
  const message = retryMessage(getLocaleOf(request), retryAfterSeconds);
  return NextResponse.json(
    { error: "rate_limited", message, retryAfterSeconds },
    { status: 429, headers: { "retry-after": String(retryAfterSeconds), "cache-control": "no-store" } },
  );
}

/** The same refusal for a navigation (GET redirects): a short localized page. */
export function rateLimitedPage(request: Request, retryAfterSeconds: number): NextResponse {
  const locale = getLocaleOf(request);
  const message = retryMessage(locale, retryAfterSeconds);
  const html = `<!doctype html><html lang="${locale}"><meta charset="utf-8"><title>429</title><p role="alert">${message}</p><p><a href="/login">${translator(locale)("login.heading")}</a></p></html>`;
  return new NextResponse(html, {
    status: 429,
    headers: { "content-type": "text/html; charset=utf-8", "retry-after": String(retryAfterSeconds), "cache-control": "no-store" },
  });
}

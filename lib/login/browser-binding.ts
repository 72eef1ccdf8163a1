/**
 * The browser binding: a random value per browser in an HttpOnly cookie, of which the server
 * keeps only the sha256. Every sign-in attempt (an OAuth state, a follow-to-login ticket)
 * carries that hash, so only the browser that started an attempt can finish it. This module is
 * the one place that mints, reads and shape-checks the cookie.
 */
import "server-only";
import type { NextResponse } from "next/server";
import { bindingCookie, bindingCookieName } from "@/lib/auth/cookies";
import { isToken, randomToken, sha256 } from "@/lib/crypto";

/** What Next gives us to read cookies with: `request.cookies` or `await cookies()`. */
export type CookieReader = { get(name: string): { value: string } | undefined };

export type BrowserBinding = { value: string; hash: string };

/** This browser's binding, when its cookie has the shape we mint. */
export function readBrowserBinding(cookies: CookieReader): BrowserBinding | undefined {
  const value = cookies.get(bindingCookieName())?.value;
  return isToken(value) ? { value, hash: sha256(value) } : undefined;
}

/** This browser's binding, minting one if it has none; {@link setBrowserBinding} sends a new one. */
export function ensureBrowserBinding(cookies: CookieReader): BrowserBinding & { isNew: boolean } {
  const existing = readBrowserBinding(cookies);
  if (existing) return { ...existing, isNew: false };
  const value = randomToken(32);
  return { value, hash: sha256(value), isNew: true };
}

export function setBrowserBinding(response: NextResponse, binding: { value: string; isNew: boolean }): void {
  if (!binding.isNew) return;
  const cookie = bindingCookie(binding.value);
  response.cookies.set(cookie.name, cookie.value, cookie.options);
}

/**
 * A fresh binding after a sign-in: whatever was learned of the old value (a shared computer, a
 * copied cookie) no longer finishes this browser's logins or counts as this browser.
 */
export function rotateBrowserBinding(response: NextResponse): void {
  const cookie = bindingCookie(randomToken(32));
  response.cookies.set(cookie.name, cookie.value, cookie.options);
}

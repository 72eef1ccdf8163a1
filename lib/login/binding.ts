/**
 * The browser-binding cookie: a random value per browser, of which the server keeps only the
 * sha256. Login states and tickets carry that hash, so only this browser can finish them.
 */
import "server-only";
import type { NextResponse } from "next/server";
import { bindingCookie, bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { readCookieHeader } from "@/lib/http";

const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The binding value in a raw Cookie header, when it has the shape we mint. */
function bindingFromCookieHeader(header: string | null | undefined): string | undefined {
  const value = readCookieHeader(header, bindingCookieName());
  return value && BINDING_PATTERN.test(value) ? value : undefined;
}

export function readBinding(request: Request): string | undefined {
  return bindingFromCookieHeader(request.headers.get("cookie"));
}

export function readBindingHash(request: Request): string | undefined {
  return bindingHashFromCookieHeader(request.headers.get("cookie"));
}

/** {@link readBindingHash} from a raw Cookie header (Node's request in the Pages API route). */
export function bindingHashFromCookieHeader(header: string | null | undefined): string | undefined {
  const value = bindingFromCookieHeader(header);
  return value ? sha256(value) : undefined;
}

/** This browser's binding, minting one if it has none; call {@link setBinding} on the response. */
export function ensureBinding(request: Request): { value: string; hash: string; isNew: boolean } {
  const existing = readBinding(request);
  const value = existing ?? randomToken(32);
  return { value, hash: sha256(value), isNew: !existing };
}

export function setBinding(response: NextResponse, binding: { value: string; isNew: boolean }): void {
  if (!binding.isNew) return;
  const cookie = bindingCookie(binding.value);
  response.cookies.set(cookie.name, cookie.value, cookie.options);
}

/**
 * A fresh binding after a sign-in: whatever was learned of the old value (a shared computer, a
 * copied cookie) no longer finishes this browser's logins or counts as this browser.
 */
export function rotateBinding(response: NextResponse): void {
  const cookie = bindingCookie(randomToken(32));
  response.cookies.set(cookie.name, cookie.value, cookie.options);
}

/**
 * The browser-binding cookie: a random value per browser, of which the server keeps only the
 * sha256. Login states and tickets carry that hash, so only this browser can finish them.
 */
import "server-only";
import type { NextResponse } from "next/server";
import { bindingCookie, bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { readCookie, readCookieHeader } from "@/lib/http";

const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function readBinding(request: Request): string | undefined {
  const value = readCookie(request, bindingCookieName());
  return value && BINDING_PATTERN.test(value) ? value : undefined;
}

export function readBindingHash(request: Request): string | undefined {
  const value = readBinding(request);
  return value ? sha256(value) : undefined;
}

/** {@link readBindingHash} from a raw Cookie header. */
export function bindingHashFromCookieHeader(header: string | undefined): string | undefined {
  const value = readCookieHeader(header, bindingCookieName());
  return value && BINDING_PATTERN.test(value) ? sha256(value) : undefined;
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

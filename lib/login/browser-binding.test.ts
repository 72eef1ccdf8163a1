import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { bindingCookieName } from "@/lib/auth/cookies";
import { randomToken, sha256 } from "@/lib/crypto";
import { ensureBrowserBinding, readBrowserBinding } from "./browser-binding";

/** The cookies Next parsed from a raw Cookie header, as a route handler sees them. */
function cookiesOf(header: string | undefined) {
  return new NextRequest("http://localhost/", header === undefined ? {} : { headers: { cookie: header } }).cookies;
}

describe("the browser binding", () => {
  it("finds the named cookie among others and decodes it", () => {
    const value = randomToken(32);
    expect(readBrowserBinding(cookiesOf(`a=1; ${bindingCookieName()}=${encodeURIComponent(value)}; b=2`))).toEqual({ value, hash: sha256(value) });
  });

  it("does not match a cookie whose name only ends with the wanted one", () => {
    expect(readBrowserBinding(cookiesOf(`evil-${bindingCookieName()}=${randomToken(32)}`))).toBeUndefined();
  });

  it("reads a malformed percent-escape as no cookie instead of throwing", () => {
    expect(readBrowserBinding(cookiesOf(`${bindingCookieName()}=%E0%A4%A`))).toBeUndefined();
    expect(readBrowserBinding(cookiesOf(undefined))).toBeUndefined();
  });

  it("refuses a value of any other shape than the one we mint", () => {
    expect(readBrowserBinding(cookiesOf(`${bindingCookieName()}=short`))).toBeUndefined();
    expect(readBrowserBinding(cookiesOf(`${bindingCookieName()}=${randomToken(32)}x`))).toBeUndefined();
  });

  it("mints a new 43-character binding for a browser without one, and keeps an existing one", () => {
    const minted = ensureBrowserBinding(cookiesOf(undefined));
    expect(minted.isNew).toBe(true);
    expect(minted.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(minted.hash).toBe(sha256(minted.value));
    const kept = ensureBrowserBinding(cookiesOf(`${bindingCookieName()}=${minted.value}`));
    expect(kept).toEqual({ value: minted.value, hash: minted.hash, isNew: false });
  });
});

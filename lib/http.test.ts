import { describe, expect, it } from "vitest";
import { readCookie, readCookieHeader } from "./http";

describe("reading a cookie", () => {
  it("finds the named cookie among others and decodes it", () => {
    expect(readCookieHeader("a=1; wxlogin.bind=x%2By; b=2", "wxlogin.bind")).toBe("x+y");
    expect(readCookie(new Request("http://localhost/", { headers: { cookie: "wxlogin.bind=abc" } }), "wxlogin.bind")).toBe("abc");
  });

  it("does not match a cookie whose name only ends with the wanted one", () => {
    expect(readCookieHeader("evil-wxlogin.bind=1", "wxlogin.bind")).toBeUndefined();
  });

  it("reads a malformed percent-escape as no cookie instead of throwing", () => {
    expect(readCookieHeader("wxlogin.bind=%E0%A4%A", "wxlogin.bind")).toBeUndefined();
    expect(readCookieHeader(undefined, "wxlogin.bind")).toBeUndefined();
  });
});

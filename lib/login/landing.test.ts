import { describe, expect, it } from "vitest";
import { DEFAULT_RETURN_TO, safeReturnTo } from "./landing";

describe("safeReturnTo", () => {
  it.each(["/account", "/account?tab=sessions", "/docs/a#b"])("keeps the same-origin path %s", (path) => {
    expect(safeReturnTo(path)).toBe(path);
  });

  it.each([
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/%0d%0aSet-Cookie:x",
    "/\tfoo",
    "account",
    "/api/wechat/callback?code=x",
    "/api/auth/signout",
    "",
    null,
    undefined,
    `/${"a".repeat(3000)}`,
  ])("replaces %s with the default", (candidate) => {
    const result = safeReturnTo(candidate as string | null | undefined);
    if (candidate === "/%0d%0aSet-Cookie:x") {
      // Encoded bytes stay encoded: still a same-origin path, never a header.
      expect(result).toBe("/%0d%0aSet-Cookie:x");
      return;
    }
    expect(result).toBe(DEFAULT_RETURN_TO);
  });
});

import { describe, expect, it } from "vitest";
import { restoreEnvAfterEach, withEnv } from "@/lib/test/env";
import { DEFAULT_RETURN_TO, landingAfterSignIn, safeReturnTo } from "./landing";

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

describe("landingAfterSignIn", () => {
  restoreEnvAfterEach();

  const none = { phone: null, email: null, signIns: 1 };

  it("goes where the person was going while binding is off", () => {
    withEnv({ BIND_MODE: "off" });
    expect(landingAfterSignIn("/account", none)).toBe("/account");
  });

  it("goes to /bind first, keeping the way back, while a required contact is missing", () => {
    withEnv({ BIND_MODE: "required", BIND_CHANNELS: "phone,email" });
    expect(landingAfterSignIn("/docs?a=1", { ...none, signIns: 9 })).toBe("/bind?returnTo=%2Fdocs%3Fa%3D1");
    expect(landingAfterSignIn("/docs", { ...none, email: "lin@example.com" })).toBe("/docs");
    // Facts not read (binding was off when the sign-in ran): never a detour.
    expect(landingAfterSignIn("/docs", undefined)).toBe("/docs");
  });

  it("offers /bind only at the first sign-in when binding is optional", () => {
    withEnv({ BIND_MODE: "optional" });
    expect(landingAfterSignIn("/account", none)).toBe("/bind?returnTo=%2Faccount");
    expect(landingAfterSignIn("/account", { ...none, signIns: 2 })).toBe("/account");
  });
});

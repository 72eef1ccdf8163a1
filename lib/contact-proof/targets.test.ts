import { describe, expect, it } from "vitest";
import { maskTarget, normalizeEmail, normalizePhone } from "./targets";

describe("normalizePhone", () => {
  it.each([
    ["13800138000", "+8613800138000"],
    ["138 0013 8000", "+8613800138000"],
    ["+86 138-0013-8000", "+8613800138000"],
    ["+8619912345678", "+8619912345678"],
    ["+1 650 253 0000", "+16502530000"],
    ["+44 7911 123456", "+447911123456"],
  ])("accepts %s as %s", (input, expected) => {
    expect(normalizePhone(input)).toEqual({ ok: true, target: expected });
  });

  it.each([
    ["12345", "too short"],
    ["1380013800", "a digit short"],
    ["23800138000", "not a mainland mobile prefix"],
    ["010 6552 9988", "a Beijing landline cannot get SMS"],
    ["+86 138 0013 8000 ext 1", "letters"],
    ["<script>alert(1)</script>", "markup"],
    ["", "empty"],
    ["+".padEnd(40, "1"), "oversized"],
  ])("refuses %s (%s)", (input) => {
    expect(normalizePhone(input).ok).toBe(false);
  });
});

describe("normalizePhone with a country allow-list", () => {
  it("accepts mainland numbers and refuses other countries, naming the calling code", () => {
    expect(normalizePhone("13800138000", ["86"])).toEqual({ ok: true, target: "+8613800138000" });
    expect(normalizePhone("+1 650 253 0000", ["86"])).toEqual({ ok: false, error: "country_unsupported", country: "1" });
    expect(normalizePhone("+44 7911 123456", ["86", "44"])).toEqual({ ok: true, target: "+447911123456" });
  });
});

describe("normalizeEmail", () => {
  it("lowercases and trims", () => {
    expect(normalizeEmail("  Lin.Xiao@Example.COM ")).toEqual({ ok: true, target: "lin.xiao@example.com" });
  });

  it.each(["not-an-email", "a@b", "<script>@x.com", `${"a".repeat(250)}@example.com`, "lin@exa mple.com"])("refuses %s", (input) => {
    expect(normalizeEmail(input).ok).toBe(false);
  });
});

describe("maskTarget", () => {
  it("masks phones and emails for display", () => {
    expect(maskTarget("phone", "+8613800138000")).toBe("+86 138****8000");
    expect(maskTarget("email", "lin@example.com")).toBe("l***@example.com");
  });
});

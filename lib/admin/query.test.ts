import { describe, expect, it } from "vitest";
import { translator } from "@/lib/i18n/messages";
import { formatElapsed, formatRate } from "./format";
import { idSchema, parseAttemptFilter, parsePeriod } from "./query";

describe("the console's query strings", () => {
  it("reads a valid filter and reports each bad value by name, dropping it", () => {
    expect(parseAttemptFilter({ outcome: "failed", surface: "website", errcode: "40029" })).toEqual({
      value: { limit: 100, outcome: "failed", surface: "website", errcode: 40029 },
      invalid: [],
    });
    expect(parseAttemptFilter({ outcome: "hacked", surface: "", errcode: "1; DROP TABLE" })).toEqual({
      value: { limit: 100 },
      invalid: ["outcome", "errcode"],
    });
    expect(parseAttemptFilter({ outcome: ["failed", "denied"] }).invalid).toEqual(["outcome"]);
    expect(parseAttemptFilter({ errcode: "-1" }).value.errcode).toBe(-1);
  });

  it("defaults the period to 24 hours and reports an unknown one", () => {
    expect(parsePeriod({})).toEqual({ value: "24h", invalid: [] });
    expect(parsePeriod({ period: "7d" })).toEqual({ value: "7d", invalid: [] });
    expect(parsePeriod({ period: "1y" })).toEqual({ value: "24h", invalid: ["period"] });
  });

  it("accepts ids of our shape only", () => {
    expect(idSchema.safeParse("cmxc9jqod0014i67db0mu2025").success).toBe(true);
    expect(idSchema.safeParse("../etc").success).toBe(false);
    expect(idSchema.safeParse("x".repeat(65)).success).toBe(false);
  });
});

describe("the console's formatting", () => {
  it("prints rates and elapsed times, with a dash for the unknown", () => {
    expect(formatRate(1, 3)).toBe("33.3%");
    expect(formatRate(0, 0)).toBe("—");
    expect(formatRate(null, 4)).toBe("—");
    const t = translator("en");
    expect(formatElapsed(t, 4_400)).toBe("4 seconds");
    expect(formatElapsed(t, 600_000)).toBe("10 minutes");
    expect(formatElapsed(t, null)).toBe("—");
    expect(formatElapsed(translator("zh-CN"), 7_200_000)).toBe("2 小时");
  });
});

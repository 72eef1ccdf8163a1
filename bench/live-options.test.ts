import { describe, expect, it } from "vitest";
import { JSCODE2SESSION_PER_USER_MINUTE } from "../emulator/mp-state";
import { parseLiveOptions, surfacesOf, type LiveOptions } from "./live-options";
import { MINI_PROGRAM_SCAN_RATE, PHONES, SCANNING_USERS } from "./live-phone";

function parse(argv: string[]): LiveOptions {
  const parsed = parseLiveOptions(argv);
  if (parsed === "help") throw new Error("help");
  return parsed;
}

describe("bench:live --surface", () => {
  it("runs the Official Account alone by default, and both surfaces in order when asked", () => {
    expect(surfacesOf(parse([]))).toEqual(["official_account"]);
    expect(surfacesOf(parse(["--surface", "mini_program"]))).toEqual(["mini_program"]);
    expect(surfacesOf(parse(["--surface", "both"]))).toEqual(["official_account", "mini_program"]);
  });

  it("refuses a surface it does not know", () => {
    expect(() => parse(["--surface", "website"])).toThrow();
  });

  it("scans mini-program codes no faster than jscode2session lets the users take turns", () => {
    const perUserPerMinute = (PHONES.mini_program.scanRate(50) * 60) / SCANNING_USERS.length;
    expect(perUserPerMinute).toBeLessThan(JSCODE2SESSION_PER_USER_MINUTE);
    expect(PHONES.mini_program.scanRate(2)).toBe(2);
    expect(PHONES.official_account.scanRate(50)).toBe(50);
    expect(MINI_PROGRAM_SCAN_RATE).toBeGreaterThan(5);
  });
});

import { describe, expect, it } from "vitest";
import { parseEnv } from "@/lib/env";
import { resolveClientIp } from "./request";

const trust = (value?: string) => parseEnv(value === undefined ? {} : { TRUSTED_PROXIES: value }).trustedProxies;

describe("the client address", () => {
  it("is the socket's peer by default, whatever X-Forwarded-For claims", () => {
    expect(resolveClientIp("203.0.113.9", "1.2.3.4", trust())).toBe("203.0.113.9");
    expect(resolveClientIp("::ffff:203.0.113.9", null, trust())).toBe("203.0.113.9");
  });

  it("with one trusted hop is what our proxy appended, not what the client wrote before it", () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the address it saw.
    expect(resolveClientIp("10.0.0.2", "1.2.3.4, 198.51.100.7", trust("1"))).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.2", null, trust("1"))).toBe("10.0.0.2");
  });

  it("with trusted ranges is the nearest address outside them", () => {
    expect(resolveClientIp("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9", trust("10.0.0.0/8"))).toBe("198.51.100.7");
    expect(resolveClientIp("203.0.113.9", "1.2.3.4", trust("10.0.0.0/8"))).toBe("203.0.113.9");
  });

  it("never takes a malformed entry as an address", () => {
    expect(resolveClientIp("10.0.0.2", "<script>, not-an-ip", trust("1"))).toBe("10.0.0.2");
    expect(resolveClientIp(null, null, trust())).toBeNull();
  });
});

/**
 * The send action as the form sees it: every limit refusal is `{ ok: false, error, retryIn }`
 * (the form turns it into a localized "try again in …"), and X-Forwarded-For written by the
 * client moves no one out of the per-IP cap (only the socket peer counts without TRUSTED_PROXIES).
 */
import { NextRequest } from "next/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { reloadEnv } from "@/lib/env";
import { PEER_HEADER } from "@/lib/peer-address";
import { testDatabases } from "@/lib/test/databases";
import { IP_DAILY_CAP } from "@/lib/contact-proof/codes";

const signedIn = vi.hoisted(() => ({ userId: "" }));
const incoming = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock("@/lib/auth", () => ({ auth: async () => (signedIn.userId ? { user: { id: signedIn.userId } } : null) }));
vi.mock("next/headers", () => ({
  headers: async () => incoming.headers,
  cookies: async () => ({
    // Next's own cookie parser, as `cookies()` reads the request.
    get: (name: string) => new NextRequest("http://localhost/", { headers: incoming.headers }).cookies.get(name),
  }),
}));
const { sendCodeAction } = await import("./actions");

/** Sets the headers of the next call, as a browser (and the peer-address hook) would send them. */
function fromBrowser(headers: Record<string, string>): void {
  incoming.headers = new Headers({ cookie: "authjs.session-token=action-test-session", [PEER_HEADER]: "203.0.113.5", ...headers });
}

beforeAll(() => {
  vi.stubEnv("BIND_MODE", "optional");
  vi.stubEnv("SMS_PROVIDER", "outbox");
  vi.stubEnv("EMAIL_PROVIDER", "outbox");
  reloadEnv();
});

afterAll(() => {
  vi.unstubAllEnvs();
  reloadEnv();
});

describe.each(testDatabases())("sendCodeAction on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([
      prisma.limitHit.deleteMany(),
      prisma.verificationCode.deleteMany(),
      prisma.outboxMessage.deleteMany(),
      prisma.user.deleteMany(),
    ]);
  });

  async function newUser(name: string): Promise<string> {
    const prisma = await db();
    return (await prisma.user.create({ data: { name } })).id;
  }

  it("refuses a second account's send to the same number within 60 s, saying when to retry", async () => {
    signedIn.userId = await newUser("first");
    fromBrowser({});
    expect(await sendCodeAction({ channel: "phone", target: "13800138000" })).toMatchObject({ ok: true });
    signedIn.userId = await newUser("second");
    fromBrowser({ [PEER_HEADER]: "203.0.113.6" });
    const refused = await sendCodeAction({ channel: "phone", target: "13800138000" });
    expect(refused).toMatchObject({ ok: false, error: "resend_wait" });
    expect(refused.ok === false && "retryIn" in refused ? refused.retryIn : 0).toBeGreaterThan(55);
  });

  it("refuses other countries' numbers with a reason naming the country", async () => {
    signedIn.userId = await newUser("abroad");
    fromBrowser({});
    expect(await sendCodeAction({ channel: "phone", target: "+1 650 253 0000" })).toEqual({ ok: false, error: "country_unsupported", country: "1" });
  });

  it("keeps the per-IP cap whatever X-Forwarded-For the client writes", async () => {
    const users = await Promise.all([1, 2, 3, 4].map((n) => newUser(`pumper${n}`)));
    const results = [];
    for (let i = 0; i <= IP_DAILY_CAP; i++) {
      signedIn.userId = users[i % 4]!;
      fromBrowser({ "x-forwarded-for": `198.51.100.${i}` });
      results.push(await sendCodeAction({ channel: "email", target: `pump${i}@example.com` }));
    }
    expect(results.slice(0, IP_DAILY_CAP).every((result) => result.ok)).toBe(true);
    const last = results.at(-1);
    expect(last).toMatchObject({ ok: false, error: "ip_daily_limit" });
    expect(last?.ok === false && "retryIn" in last && Number.isInteger(last.retryIn) && last.retryIn > 0).toBe(true);
  });

  it("refuses a signed-out caller and a malformed call before anything is sent", async () => {
    signedIn.userId = "";
    fromBrowser({});
    expect(await sendCodeAction({ channel: "phone", target: "13800138000" })).toEqual({ ok: false, error: "signed_out" });
    signedIn.userId = await newUser("tamperer");
    expect(await sendCodeAction({ channel: "fax", target: "1" } as never)).toEqual({ ok: false, error: "invalid_input" });
    expect(await sendCodeAction({ channel: "email", target: "a@example.com", extra: 1 } as never)).toEqual({ ok: false, error: "invalid_input" });
    const prisma = await db();
    expect(await prisma.outboxMessage.count()).toBe(0);
  });
});

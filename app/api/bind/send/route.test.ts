/**
 * The send endpoint as a client sees it: every limit refusal is HTTP 429 with Retry-After and a
 * reason the form turns into a localized "try again in …", and X-Forwarded-For written by the
 * client moves no one out of the per-IP cap (only the socket peer counts without TRUSTED_PROXIES).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { NextRequest } from "next/server";
import { db } from "@/lib/db/client";
import { reloadEnv } from "@/lib/env";
import { PEER_HEADER } from "@/lib/peer-address";
import { testDatabases } from "@/lib/test/databases";
import { IP_DAILY_CAP } from "@/lib/contact-proof/codes";

const signedIn = vi.hoisted(() => ({ userId: "" }));
vi.mock("@/lib/auth", () => ({ auth: async () => (signedIn.userId ? { user: { id: signedIn.userId } } : null) }));
const { POST } = await import("./route");

function request(body: unknown, headers: Record<string, string>): NextRequest {
  return new NextRequest("http://localhost:3000/api/bind/send", {
    method: "POST",
    headers: { "content-type": "application/json", cookie: "authjs.session-token=route-test-session", [PEER_HEADER]: "203.0.113.5", ...headers },
    body: JSON.stringify(body),
  });
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

describe.each(testDatabases())("POST /api/bind/send on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    const prisma = await db();
    await prisma.$transaction([prisma.limitHit.deleteMany(), prisma.verificationCode.deleteMany(), prisma.outboxMessage.deleteMany(), prisma.user.deleteMany()]);
  });

  async function newUser(name: string): Promise<string> {
    const prisma = await db();
    return (await prisma.user.create({ data: { name } })).id;
  }

  it("answers a second account's send to the same number within 60 s with 429 and Retry-After", async () => {
    signedIn.userId = await newUser("first");
    expect((await POST(request({ channel: "phone", target: "13800138000" }, {}))).status).toBe(200);
    signedIn.userId = await newUser("second");
    const response = await POST(request({ channel: "phone", target: "13800138000" }, { [PEER_HEADER]: "203.0.113.6" }));
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(55);
    expect(await response.json()).toMatchObject({ ok: false, error: "resend_wait" });
  });

  it("refuses other countries' numbers with a reason naming the country", async () => {
    signedIn.userId = await newUser("abroad");
    const response = await POST(request({ channel: "phone", target: "+1 650 253 0000" }, {}));
    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ ok: false, error: "country_unsupported", country: "1" });
  });

  it("keeps the per-IP cap whatever X-Forwarded-For the client writes", async () => {
    const users = await Promise.all([1, 2, 3, 4].map((n) => newUser(`pumper${n}`)));
    const statuses: number[] = [];
    for (let i = 0; i <= IP_DAILY_CAP; i++) {
      signedIn.userId = users[i % 4]!;
      const response = await POST(request({ channel: "email", target: `pump${i}@example.com` }, { "x-forwarded-for": `198.51.100.${i}` }));
      statuses.push(response.status);
      if (i === IP_DAILY_CAP) {
        expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
        expect(await response.json()).toMatchObject({ ok: false, error: "ip_daily_limit" });
      }
    }
    expect(statuses.slice(0, IP_DAILY_CAP).every((status) => status === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

/**
 * Abuse limits kept in the database: all or none of a request's limits are taken, parallel
 * requests cannot slip under one together, and a refusal says when to come back. On the embedded
 * database and (with TEST_DATABASE_URL) PostgreSQL, where parallel takes really race.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { randomToken } from "@/lib/crypto";
import { testDatabases } from "@/lib/test/databases";
import { db } from "./client";
import { clearLimit, releaseLimits, takeLimits, type Limit } from "./limits";

function limit(bucket: string, max: number, ttlSeconds = 600): Limit {
  return { bucket, key: `key-${randomToken(8)}`, max, ttlSeconds };
}

async function alive(one: Limit): Promise<number> {
  const prisma = await db();
  return prisma.limitHit.count({ where: { bucket: one.bucket, key: one.key, expiresAt: { gt: new Date() } } });
}

describe.each(testDatabases())("abuse limits on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await (await db()).limitHit.deleteMany();
  });

  it("takes a use of every limit, or of none when one of them is full", async () => {
    const perBrowser = limit("test.browser", 5);
    const perIp = limit("test.ip", 1);
    expect(await takeLimits([perBrowser, perIp])).toEqual({ ok: true, ids: [expect.any(String), expect.any(String)] });
    expect(await takeLimits([perBrowser, perIp])).toEqual({ ok: false, bucket: "test.ip", retryAfterSeconds: expect.any(Number) });
    expect(await alive(perBrowser)).toBe(1);
    expect(await alive(perIp)).toBe(1);
    expect(await takeLimits([])).toEqual({ ok: true, ids: [] });
  });

  it("says to come back when enough of the counted uses have expired", async () => {
    const full = limit("test.retry", 2);
    const prisma = await db();
    const now = Date.now();
    await prisma.limitHit.createMany({
      data: [30, 60, 90].map((seconds) => ({ bucket: full.bucket, key: full.key, expiresAt: new Date(now + seconds * 1000) })),
    });
    // Three alive where two are allowed (the limit was lowered): the second oldest must go first.
    const refused = await takeLimits([full]);
    expect(refused.ok).toBe(false);
    const retryAfter = refused.ok ? 0 : refused.retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(55);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it("does not count uses that have expired", async () => {
    const one = limit("test.expired", 1);
    const prisma = await db();
    await prisma.limitHit.create({ data: { bucket: one.bucket, key: one.key, expiresAt: new Date(Date.now() - 1000) } });
    expect((await takeLimits([one])).ok).toBe(true);
    expect((await takeLimits([one])).ok).toBe(false);
  });

  it("lets no more parallel requests through than the limit allows", async () => {
    const three = limit("test.parallel", 3);
    const results = await Promise.all(Array.from({ length: 8 }, () => takeLimits([three])));
    expect(results.filter((result) => result.ok)).toHaveLength(3);
    expect(await alive(three)).toBe(3);
  });

  it("gives released uses back, and forgets every use of a cleared key", async () => {
    const lease = limit("test.lease", 1);
    const taken = await takeLimits([lease]);
    if (!taken.ok) throw new Error("refused");
    expect((await takeLimits([lease])).ok).toBe(false);
    await releaseLimits(taken.ids);
    expect((await takeLimits([lease])).ok).toBe(true);

    const cleared = limit("test.cleared", 1);
    const other = { ...cleared, key: `key-${randomToken(8)}` };
    await takeLimits([cleared]);
    await takeLimits([other]);
    await (await db()).$transaction((tx) => clearLimit(cleared.bucket, cleared.key, tx));
    expect(await alive(cleared)).toBe(0);
    expect(await alive(other)).toBe(1);
  });
});

/**
 * The replay cache of the Official Account's pushes: a key is new once, however many deliveries
 * race for it. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomToken } from "@/lib/crypto";
import { testDatabases } from "@/lib/test/databases";
import { recordFirstDelivery } from "./push-events";

describe.each(testDatabases())("push replay cache on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("says a key is new once", async () => {
    const key = `event:oUser:${randomToken(8)}`;
    expect(await recordFirstDelivery(key)).toBe(true);
    expect(await recordFirstDelivery(key)).toBe(false);
    expect(await recordFirstDelivery(`${key}:other`)).toBe(true);
  });

  it("says so to exactly one of parallel deliveries of one key", async () => {
    const key = `request:${Date.now()}:${randomToken(8)}`;
    const results = await Promise.all(Array.from({ length: 5 }, () => recordFirstDelivery(key)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });
});

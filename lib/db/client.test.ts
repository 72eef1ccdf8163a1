/**
 * The one Prisma client: ready once migrated, and a transaction that loses a unique-constraint
 * race to a twin runs once more (the second run finds the twin's rows). On the embedded database
 * and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { databaseKind, db, pingDatabase, transactionWithRetry } from "./client";

describe.each(testDatabases())("the database client on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("answers once ready, on the database the environment names", async () => {
    await expect(pingDatabase()).resolves.toBeUndefined();
    expect(databaseKind()).toBe(database.name);
  });

  it("runs a transaction once more after a unique-constraint race, and rolls the first run back", async () => {
    const prisma = await db();
    await prisma.user.create({ data: { unionid: "oUnionTwin0000000000000000001" } });
    let runs = 0;
    const userId = await transactionWithRetry(async (tx) => {
      runs++;
      await tx.user.create({ data: { name: `run ${runs}` } });
      // The first run meets the twin's row as a first sign-in racing another would.
      if (runs === 1) await tx.user.create({ data: { unionid: "oUnionTwin0000000000000000001" } });
      return (await tx.user.findUniqueOrThrow({ where: { unionid: "oUnionTwin0000000000000000001" } })).id;
    });
    expect(runs).toBe(2);
    expect(userId).toEqual(expect.any(String));
    expect(await prisma.user.count({ where: { name: { startsWith: "run " } } })).toBe(1);
    expect(await prisma.user.count({ where: { name: "run 1" } })).toBe(0);
  });

  it("gives up after the second run, and never retries another error", async () => {
    const prisma = await db();
    await prisma.user.create({ data: { unionid: "oUnionTwice000000000000000001" } });
    let runs = 0;
    await expect(
      transactionWithRetry(async (tx) => {
        runs++;
        await tx.user.create({ data: { unionid: "oUnionTwice000000000000000001" } });
      }),
    ).rejects.toMatchObject({ code: "P2002" });
    expect(runs).toBe(2);

    let others = 0;
    await expect(
      transactionWithRetry(async () => {
        others++;
        throw new Error("not a race");
      }),
    ).rejects.toThrow("not a race");
    expect(others).toBe(1);
  });
});

/**
 * The Official Account's access token as every instance shares it: one row per app, replaced on
 * refresh. On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "@/lib/test/databases";
import { deleteAppToken, findAppToken, saveAppToken } from "./app-tokens";

describe.each(testDatabases())("app tokens on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());

  it("keeps one sealed token per app, replaced on refresh and gone when deleted", async () => {
    expect(await findAppToken("wxA")).toBeNull();
    const first = new Date(Date.now() + 7_200_000);
    await saveAppToken("wxA", "v1.sealed.first", first);
    await saveAppToken("wxB", "v1.sealed.other", first);
    const later = new Date(first.getTime() + 3_600_000);
    await saveAppToken("wxA", "v1.sealed.second", later);
    expect(await findAppToken("wxA")).toEqual({ tokenEnc: "v1.sealed.second", expiresAt: later });
    await deleteAppToken("wxA");
    await deleteAppToken("wxA");
    expect(await findAppToken("wxA")).toBeNull();
    expect(await findAppToken("wxB")).toEqual({ tokenEnc: "v1.sealed.other", expiresAt: first });
  });
});

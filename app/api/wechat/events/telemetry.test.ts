/**
 * What the push webhook reports: every push in `wechat_login_pushes_total` by event and by what
 * verification said, and each refused one kept as a `push_rejected` WeChat event for the console.
 * On the embedded database and (with TEST_DATABASE_URL) PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor } from "@/emulator/config";
import { db } from "@/lib/db/client";
import { listWechatEvents } from "@/lib/db/wechat-events";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { renderMetrics } from "@/lib/telemetry";
import { resetMetrics } from "@/lib/telemetry/metrics";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { startTicket } from "@/lib/test/tickets";
import { encryptedPush, scanXml, signedQuery, urlCheck } from "@/lib/test/wechat-push";
import { GET, POST } from "./route";

useTestEmulator({ callbackDomain: "localhost:3987", env: { METRICS_TOKEN: "push-metrics-token-0123456789ab" } });

async function pushSeries(): Promise<string[]> {
  return (await renderMetrics()).body.split("\n").filter((line) => line.startsWith("wechat_login_pushes_total"));
}

describe.each(testDatabases())("the push webhook's telemetry on $name", (database) => {
  beforeAll(async () => {
    await database.setUp();
    await db();
  });
  afterAll(() => database.tearDown());
  beforeEach(() => resetMetrics());

  it("counts verified pushes by event, refused ones by reason, and keeps the refusals", async () => {
    const since = new Date(Date.now() - 1000);
    const { scene } = await startTicket();
    const xml = scanXml(openidFor(DEMO_OFFICIAL_ACCOUNT.appId, "lin"), scene);
    expect((await GET(urlCheck(signedQuery({ extra: { echostr: "8251426364892390123" } })))).status).toBe(200);
    expect((await POST(encryptedPush(xml))).status).toBe(200);
    expect((await POST(encryptedPush(xml, { badSignature: true }))).status).toBe(403);
    expect((await POST(encryptedPush(xml, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(403);

    expect(await pushSeries()).toEqual([
      'wechat_login_pushes_total{event="url_check",verification="ok"} 1',
      'wechat_login_pushes_total{event="scan",verification="ok"} 1',
      'wechat_login_pushes_total{event="none",verification="signature"} 1',
      'wechat_login_pushes_total{event="none",verification="stale"} 1',
    ]);
    const refused = await listWechatEvents({ kind: "push_rejected", since });
    expect(refused.map((event) => event.reason).sort()).toEqual(["bad_signature", "stale"]);
  });
});

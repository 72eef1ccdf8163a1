import { expect, test } from "@playwright/test";
import { EMULATOR_URL, HAS_INSTANCES, INSTANCE_PORTS } from "./config";
import { Emulator } from "./emulator";
import { openWechatPhone } from "./pages/phone";

const [PORT_A, PORT_B] = INSTANCE_PORTS;
const INSTANCE_A = `http://localhost:${PORT_A}`;
const INSTANCE_B = `http://localhost:${PORT_B}`;

test.describe("several app instances on one PostgreSQL", () => {
  test.skip(!HAS_INSTANCES, "needs TEST_DATABASE_URL (a PostgreSQL server)");

  test.afterEach(async ({ request }) => {
    await new Emulator(request).reset();
  });

  test("WeChat's push and the phone's confirm reach instance B; the browser streaming from instance A sees them", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    // WeChat delivers to B; the browser talks only to A.
    await emulator.settings({ oaPushUrl: `${INSTANCE_B}/api/wechat/events` });
    const toA: string[] = [];
    const polls: string[] = [];
    page.on("request", (req) => {
      if (req.url().startsWith(EMULATOR_URL)) return;
      toA.push(new URL(req.url()).port);
      if (req.method() === "GET" && /\/api\/login-tickets\/[^/]+$/.test(new URL(req.url()).pathname)) polls.push(req.url());
    });
    await page.goto(`${INSTANCE_A}/login?qr=official_account`);
    const live = page.getByTestId("live-qr");
    await expect(live).toHaveAttribute("data-status", "waiting");
    const qrUrl = (await page.getByTestId("live-qr-image").getAttribute("data-qr-url"))!;

    const delivery = await emulator.oaScan(qrUrl, "zhang", "existing");
    const link = delivery.reply!.links[0]!;
    expect(new URL(link).port).toBe(String(PORT_B));
    await expect(live).toHaveAttribute("data-status", "scanned");
    const code = ((await page.getByTestId("live-qr-match").textContent()) ?? "").trim();

    const phone = await (await openWechatPhone(browser, "zhang")).newPage();
    await phone.goto(link);
    await phone.getByTestId("confirm-choice").filter({ hasText: code }).click();
    await expect(phone.getByTestId("confirm-result")).toHaveAttribute("data-result", "confirmed");

    await expect(page).toHaveURL(`${INSTANCE_A}/account`);
    await expect(page.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f4a0"]')).toHaveCount(1);
    expect(new Set(toA)).toEqual(new Set([String(PORT_A)]));
    // Delivered by the stream (LISTEN/NOTIFY between the instances), not by the polling fallback.
    expect(polls).toEqual([]);
  });
});

import { expect, test, type Browser, type Page } from "@playwright/test";
import { APP_URL, BIND_OPTIONAL_PORT } from "./config";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";
import { expectMiniProgramState, MiniProgramLoginPage, openMiniProgram } from "./pages/mini-program";

const MP = "wx8e0b5c61d2a3f4b0";
const MP_SOLO = "wx8e0b5c61d2a3f4b1";
const WEB = "wx8e0b5c61d2a3f470";
const BIND_OPTIONAL_URL = `http://localhost:${BIND_OPTIONAL_PORT}`;
const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/** The person scans the computer's code: the mini program opens on their phone and shows who asks. */
async function scan(browser: Browser, login: MiniProgramLoginPage, user: string, options: { lang?: "en" } = {}): Promise<Page> {
  const phone = await openMiniProgram(browser, await login.codeUrl(), user, options);
  await expectMiniProgramState(phone, "ready");
  await login.expectStatus("scanned");
  return phone;
}

/** Picks the number the computer shows (or `pick`), then taps `button`. */
async function answer(phone: Page, login: MiniProgramLoginPage, button: "mp-confirm" | "mp-phone", pick?: string): Promise<void> {
  await phone.getByTestId(`mp-choice-${pick ?? (await login.matchCode())}`).click();
  await phone.getByTestId(button).click();
}

test.describe("the mini-program code (小程序码扫码登录)", () => {
  test.afterEach(async ({ request }) => {
    await new Emulator(request).reset();
  });

  test("scan → the phone shows site and device → the right number → the computer is signed in, in the account of the same person's website login", async ({
    page,
    browser,
    request,
  }) => {
    const emulator = new Emulator(request);
    await test.step("张伟 signs in once with the website QR, then signs out", async () => {
      const website = new LoginPage(page);
      await website.goto();
      await emulator.confirm(website.qrUuid(), "zhang");
      await new AccountPage(page).expectSignedInAs("张伟");
      await new AccountPage(page).signOut();
    });
    const login = new MiniProgramLoginPage(page);
    await login.goto();
    await expect(page.getByTestId("live-qr-status")).toContainText("请使用微信扫描小程序码");
    const phone = await scan(browser, login, "zhang");
    await expect(phone.getByTestId("mp-site")).toContainText(new URL(APP_URL).host);
    await expect(phone.getByTestId("mp-device")).toContainText("Chrome");
    await expect(page.getByTestId("live-qr-status")).toContainText("已在手机上打开小程序");
    await answer(phone, login, "mp-confirm");
    await expectMiniProgramState(phone, "confirmed");
    await new AccountPage(page).expectSignedInAs("张伟");
    // One person, one account: the website identity and the mini program's meet on the unionid.
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${MP}"]`)).toHaveCount(1);
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${WEB}"]`)).toHaveCount(1);
  });

  test("a mini program without an Open Platform binding gives no unionid: its person stays apart", async ({ page, browser }) => {
    const login = new MiniProgramLoginPage(page);
    await login.goto({ mp: "mp-solo" });
    const phone = await scan(browser, login, "lin");
    await answer(phone, login, "mp-confirm");
    const account = new AccountPage(page);
    await account.expectLoaded();
    await expect(page.locator('[data-testid="identity-row"]')).toHaveCount(1);
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${MP_SOLO}"]`)).toHaveCount(1);
    await expect(page.getByTestId("unionid")).not.toHaveText(/^o[\w-]{27}$/);
  });

  test("cancel on the phone: the computer shows it and offers a fresh code", async ({ page, browser }) => {
    const login = new MiniProgramLoginPage(page);
    await login.goto();
    const phone = await scan(browser, login, "lin");
    await phone.getByTestId("mp-cancel").click();
    await expectMiniProgramState(phone, "cancelled");
    await login.expectStatus("cancelled");
    await expect(page.getByTestId("live-qr-refresh")).toBeVisible();
  });

  test("hijacking: a wrong number cancels the sign-in for good", async ({ page, browser }) => {
    const login = new MiniProgramLoginPage(page);
    await login.goto();
    const phone = await scan(browser, login, "li");
    const right = await login.matchCode();
    const choices = await phone.locator('[data-testid^="mp-choice-"]').allTextContents();
    const wrong = choices.map((text) => text.trim()).find((choice) => choice !== right)!;
    await answer(phone, login, "mp-confirm", wrong);
    await expectMiniProgramState(phone, "mismatch");
    await login.expectStatus("cancelled");
    await expect(page).toHaveURL(/\/login/);
  });

  test("expiry, then refresh, then success", async ({ page, browser }) => {
    const login = new MiniProgramLoginPage(page);
    await page.clock.install();
    await login.goto();
    await page.clock.fastForward("05:01");
    await login.expectStatus("expired");
    await page.getByTestId("live-qr-refresh").click();
    await login.expectStatus("waiting");
    await expect(page.getByTestId("live-qr-countdown")).toContainText("二维码有效期还剩");
    const phone = await scan(browser, login, "lin");
    await answer(phone, login, "mp-confirm");
    // Signed in through the mini program. Not by nickname: a mini program gives none, and whether
    // 林晓 has a website sign-in (with her nickname) already depends on which tests ran before.
    const account = new AccountPage(page);
    await account.expectLoaded();
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${MP}"]`)).toHaveCount(1);
  });

  test("one-tap phone on a first sign-in binds WeChat's number; after a refusal the computer falls back to SMS binding", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    // The emulator's mini program talks to the instance that wants a phone bound.
    await emulator.settings({ mpApiOrigin: BIND_OPTIONAL_URL });
    await test.step("王芳 shares her WeChat phone: the account has it, no SMS step", async () => {
      const login = new MiniProgramLoginPage(page);
      await login.goto({}, BIND_OPTIONAL_URL);
      const phone = await scan(browser, login, "wang");
      await expect(phone.getByTestId("mp-phone")).toBeVisible();
      await answer(phone, login, "mp-phone");
      await phone.getByTestId("mp-phone-allow").click();
      await expectMiniProgramState(phone, "confirmed");
      await expect(page).toHaveURL(/\/account/);
      await expect(page.getByTestId("bound-phone")).toContainText("137");
    });
    await page.context().clearCookies();
    await test.step("Chen Jie refuses: confirmed without a phone, and the computer offers the SMS binding", async () => {
      const login = new MiniProgramLoginPage(page);
      await login.goto({}, BIND_OPTIONAL_URL);
      const phone = await scan(browser, login, "chen");
      await answer(phone, login, "mp-phone");
      await phone.getByTestId("mp-phone-deny").click();
      await expectMiniProgramState(phone, "confirmed");
      await expect(page).toHaveURL(/\/bind/);
      await expect(page.getByTestId("bind-page")).toBeVisible();
    });
  });

  test("same phone: a phone browser opens the mini program through a URL Link, and the tab that asked is signed in", async ({ browser }) => {
    const context = await browser.newContext({ userAgent: IPHONE_SAFARI, viewport: { width: 390, height: 760 }, isMobile: true, locale: "zh-CN" });
    const page = await context.newPage();
    const login = new MiniProgramLoginPage(page);
    await login.goto();
    await expect(page.getByTestId("open-in-wechat")).toHaveCount(0);
    const link = page.getByTestId("mp-open-link");
    await expect(link).toHaveAttribute("href", /\/wxaurl\//);
    const [miniProgram] = await Promise.all([page.waitForEvent("popup"), link.click()]);
    await expectMiniProgramState(miniProgram, "ready");
    await login.expectStatus("scanned");
    await answer(miniProgram, login, "mp-confirm");
    await expectMiniProgramState(miniProgram, "confirmed");
    await expect(page).toHaveURL(/\/account/);
    await context.close();
  });

  test("a personal mini program has no URL Links: the phone page says so and keeps the code for a second device", async ({ browser }) => {
    const context = await browser.newContext({ userAgent: IPHONE_SAFARI, isMobile: true, locale: "zh-CN" });
    const page = await context.newPage();
    const login = new MiniProgramLoginPage(page);
    await login.goto({ mp: "mp-personal" });
    await expect(page.getByTestId("mp-link-unavailable")).toContainText("另一台设备");
    await expect(page.getByTestId("live-qr-image")).toBeVisible();
    await context.close();
  });

  test("WeChat's refusals show their message: an errcode drawing the code, the code quota, and a blocked user on the phone", async ({
    page,
    browser,
    request,
  }) => {
    const emulator = new Emulator(request);
    await test.step("41030 (page not in the release) on getwxacodeunlimit", async () => {
      await emulator.fault({ endpoint: "wxa/getwxacodeunlimit", errcode: 41030 });
      await page.goto("/login?qr=mini_program");
      await expect(page.getByTestId("live-qr-overlay")).toContainText("本网站的小程序页面不存在或小程序尚未发布");
    });
    await test.step("45009: the per-minute quota of codes runs out", async () => {
      await emulator.settings({ mpCodePerMinute: 1 });
      await page.context().clearCookies();
      await page.goto("/login?qr=mini_program");
      await expect(login(page).status()).toHaveAttribute("data-status", "waiting");
      await page.context().clearCookies();
      await page.goto("/login?qr=mini_program");
      await expect(page.getByTestId("live-qr-overlay")).toContainText("本网站的微信接口调用次数已达上限");
      await emulator.settings({ mpCodePerMinute: 5000 });
    });
    await test.step("40226 (a high-risk user) on jscode2session: the phone says so", async () => {
      await page.context().clearCookies();
      const pc = login(page);
      await pc.goto();
      await emulator.fault({ endpoint: "sns/jscode2session", errcode: 40226 });
      const phone = await openMiniProgram(browser, await pc.codeUrl(), "lin");
      await expectMiniProgramState(phone, "error");
      await expect(phone.getByTestId("mp-status")).toContainText("微信判定你的账号存在风险");
      await pc.expectStatus("waiting");
    });
  });
});

function login(page: Page): MiniProgramLoginPage {
  return new MiniProgramLoginPage(page);
}

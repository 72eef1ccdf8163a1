import { expect, test } from "@playwright/test";
import { translator } from "../lib/i18n/messages";
import { describeLoginError } from "../lib/errors";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LiveQrPage } from "./pages/live-qr-page";
import { LoginPage } from "./pages/login-page";
import { openWechatPhone } from "./pages/phone";

const OA_APPID = "wx8e0b5c61d2a3f4a0";

test.describe("inside WeChat's browser (Official Account web authorization)", () => {
  test.afterEach(async ({ request }) => {
    await new Emulator(request).reset();
  });

  test("a new user consents once (snsapi_userinfo); the next visit is silent (snsapi_base)", async ({ browser }) => {
    const phone = await openWechatPhone(browser, "wang");
    const page = await phone.newPage();
    const scopes: string[] = [];
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname === "/connect/oauth2/authorize") scopes.push(url.searchParams.get("scope") ?? "");
    });
    await page.goto("/login");
    await expect(page.locator("#oa-allow")).toBeVisible();
    expect(scopes).toEqual(["snsapi_base", "snsapi_userinfo"]);
    await page.locator("#oa-allow").click();
    const account = new AccountPage(page);
    await account.expectSignedInAs("王芳");
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${OA_APPID}"]`)).toHaveCount(1);
    await account.signOut();

    scopes.length = 0;
    // The silent authorization navigates on by script, so don't wait for /login's own load.
    await page.goto("/login", { waitUntil: "commit" });
    await account.expectSignedInAs("王芳");
    expect(scopes).toEqual(["snsapi_base"]);
    await phone.close();
  });

  test("the authorize URL is WeChat's: parameter order, alphanumeric state, #wechat_redirect", async ({ browser }) => {
    const phone = await openWechatPhone(browser, "chen");
    const page = await phone.newPage();
    const login = await page.request.get("/api/wechat/oa/login?returnTo=/account", { maxRedirects: 0 });
    expect(login.status()).toBe(302);
    const location = login.headers().location!;
    const url = new URL(location);
    expect(url.pathname).toBe("/connect/oauth2/authorize");
    expect([...url.searchParams.keys()]).toEqual(["appid", "redirect_uri", "response_type", "scope", "state"]);
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9]{1,128}$/);
    expect(url.hash).toBe("#wechat_redirect");
    await phone.close();
  });

  test("snapshot (virtual) users are refused and told how to continue", async ({ browser, request }) => {
    await new Emulator(request).settings({ snapshot: true });
    const phone = await openWechatPhone(browser, "zhang");
    const page = await phone.newPage();
    await page.goto("/login");
    await expect(page.getByTestId("login-error")).toHaveAttribute("data-reason", "snapshot_user");
    await expect(page.getByTestId("error-message")).toHaveText(translator("zh-CN")(describeLoginError("snapshot_user").message));
    await expect(page.getByTestId("error-message")).toContainText("使用完整服务");
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login|\/connect\/oauth2\/authorize/);
    await phone.close();
  });

  test("refusing consent shows 'cancelled' when WeChat redirects with the state only", async ({ browser, request }) => {
    await new Emulator(request).settings({ oaRefusal: "state-only" });
    const phone = await openWechatPhone(browser, "li");
    const page = await phone.newPage();
    await page.goto("/login");
    await page.locator("#oa-deny").click();
    await expect(page.getByTestId("login-error")).toHaveAttribute("data-reason", "cancelled");
    await phone.close();
  });

  test("one person: website QR, in-WeChat sign-in and follow-to-login all meet in one user on unionid", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    await test.step("website QR login", async () => {
      const login = new LoginPage(page);
      await login.goto();
      await emulator.confirm(login.qrUuid(), "lin");
      await new AccountPage(page).expectSignedInAs("林晓");
    });
    const userId = await page.getByTestId("user-id").textContent();

    await test.step("inside WeChat, through the Official Account", async () => {
      const phone = await openWechatPhone(browser, "lin");
      const inWechat = await phone.newPage();
      await inWechat.goto("/login");
      // The way to WeChat's consent sheet, or past it, goes on by script after goto returns: wait for
      // whichever page it ends on before deciding whether to consent.
      const allow = inWechat.locator("#oa-allow");
      await expect(allow.or(inWechat.getByTestId("nickname"))).toBeVisible();
      if (await allow.isVisible()) await allow.click();
      await new AccountPage(inWechat).expectSignedInAs("林晓");
      await expect(inWechat.getByTestId("user-id")).toHaveText(userId!);
      await phone.close();
    });

    await test.step("follow-to-login on another computer", async () => {
      const desktop = await browser.newContext();
      const other = await desktop.newPage();
      const live = new LiveQrPage(other);
      await live.goto();
      const delivery = await emulator.oaScan(await live.qrUrl(), "lin", "existing");
      await live.expectStatus("scanned");
      const phone = await (await openWechatPhone(browser, "lin")).newPage();
      await phone.goto(delivery.reply!.links[0]!);
      await phone
        .getByTestId("confirm-choice")
        .filter({ hasText: await live.matchCode() })
        .click();
      await expect(other).toHaveURL(/\/account$/);
      await expect(other.getByTestId("user-id")).toHaveText(userId!);
      // One identity per (appid, openid): the website app's and the Official Account's.
      await expect(other.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f470"]')).toHaveCount(1);
      await expect(other.locator(`[data-testid="identity-row"][data-appid="${OA_APPID}"]`)).toHaveCount(1);
      await desktop.close();
    });
  });

  test("a phone browser outside WeChat is told to open the page in WeChat, and still gets a QR", async ({ browser }) => {
    const context = await browser.newContext({
      userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
      viewport: { width: 390, height: 760 },
    });
    const page = await context.newPage();
    await page.goto("/login");
    await expect(page.getByTestId("open-in-wechat")).toContainText("请在微信中打开本页面");
    await expect(page.frameLocator("#wx-qr-container iframe").locator("#wx-qr")).toBeVisible();
    await context.close();
  });
});

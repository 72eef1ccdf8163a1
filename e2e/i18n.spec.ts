import { expect, test } from "@playwright/test";
import { EMULATOR_URL } from "./config";
import { LoginPage } from "./pages/login-page";

test.describe("languages", () => {
  test("/login is zh-CN by default and switches to English and back", async ({ page }) => {
    const login = new LoginPage(page);
    await login.goto();
    await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
    await expect(page.getByRole("heading", { name: "微信扫码登录" })).toBeVisible();
    await expect(page.getByTestId("redirect-login")).toHaveText("打开微信登录页面");
    await expect(login.qrFrame.locator("#wx-status")).toContainText("使用微信扫一扫登录");

    await page.getByTestId("lang-switch").click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await expect(page.getByRole("heading", { name: "Sign in with WeChat" })).toBeVisible();
    await expect(page.getByTestId("redirect-login")).toHaveText("Open WeChat's login page");
    // WeChat's own iframe follows (lang=en).
    await expect(login.qrFrame.locator("#wx-status")).toContainText("Scan with WeChat");
    await expect(page.getByTestId("redirect-login")).toHaveAttribute("href", /lang=en/);

    await page.reload();
    await expect(page.getByRole("heading", { name: "Sign in with WeChat" })).toBeVisible();
    await page.getByTestId("lang-switch").click();
    await expect(page.getByRole("heading", { name: "微信扫码登录" })).toBeVisible();
  });

  test("error pages follow the chosen language", async ({ page }) => {
    await page.goto("/login");
    await page.getByTestId("lang-switch").click();
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
    await page.goto("/api/wechat/callback?code=abc");
    await expect(page.getByTestId("error-message")).toHaveText("The sign-in request lacks its security check. Please start again from the login page.");
    await expect(page.getByTestId("error-next")).toHaveText("Start again");
  });
});

test.describe("WeChat's own error pages (emulator)", () => {
  test("a redirect_uri outside the callback domain gets 'redirect_uri 参数错误'", async ({ page }) => {
    await page.goto(
      `${EMULATOR_URL}/connect/qrconnect?appid=wx8e0b5c61d2a3f470&redirect_uri=${encodeURIComponent("http://evil.example/cb")}&response_type=code&scope=snsapi_login&state=x`,
    );
    await expect(page.locator("body")).toContainText("redirect_uri 参数错误");
  });

  test("an Official Account appid or a wrong scope gets 'Scope 参数错误或没有 Scope 权限'", async ({ page }) => {
    const redirect = encodeURIComponent("http://localhost:3300/api/wechat/callback");
    await page.goto(`${EMULATOR_URL}/connect/qrconnect?appid=wx8e0b5c61d2a3f4a0&redirect_uri=${redirect}&response_type=code&scope=snsapi_login&state=x`);
    await expect(page.locator("body")).toContainText("Scope 参数错误或没有 Scope 权限");
    await page.goto(`${EMULATOR_URL}/connect/qrconnect?appid=wx8e0b5c61d2a3f470&redirect_uri=${redirect}&response_type=code&scope=snsapi_userinfo&state=x`);
    await expect(page.locator("body")).toContainText("Scope 参数错误或没有 Scope 权限");
  });
});

import { expect, test } from "@playwright/test";
import { EMULATOR_URL } from "./config";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";

test.describe("website QR login", () => {
  test("embedded QR, top window redirect (self_redirect=false)", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    await login.goto();
    await expect(page.getByRole("heading", { name: "微信扫码登录" })).toBeVisible();
    const uuid = await login.qrUuid();
    await expect(login.qrFrame.locator("#wx-status")).toContainText("使用微信扫一扫登录");
    await test.step("the phone scans: the iframe shows it", async () => {
      await emulator.scan(uuid, "lin");
      await expect(login.qrFrame.locator("#wx-status")).toContainText("扫描成功");
    });
    await test.step("the phone confirms: the whole page lands signed in", async () => {
      await emulator.confirm(uuid, "lin");
      await new AccountPage(page).expectSignedInAs("林晓");
    });
    // Other specs may have linked more apps to 林晓; this login's app is there once.
    await expect(page.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f470"]')).toHaveCount(1);
    await expect(page.getByTestId("session-row").filter({ hasText: "当前设备" })).toHaveCount(1);
  });

  test("embedded QR, iframe redirect (self_redirect=true) breaks out to the top window", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    await login.goto({ self_redirect: "true" });
    const uuid = await login.qrUuid();
    await expect(page.locator("#wx-qr-container iframe")).toHaveAttribute("src", /self_redirect=true/);
    await emulator.confirm(uuid, "zhang");
    await new AccountPage(page).expectSignedInAs("张伟");
    expect(page.frames()).toHaveLength(1);
  });

  test("redirect mode: WeChat's full-page QR, confirmed on the emulator's phone page", async ({ page, context }) => {
    const login = new LoginPage(page);
    await login.goto();
    await page.getByTestId("redirect-login").click();
    await expect(page).toHaveURL(new RegExp(`^${EMULATOR_URL}/connect/qrconnect\\?appid=`));
    const uuid = await page.locator("#wx-qr").getAttribute("data-uuid");
    await test.step("a phone opens the URL in the QR code and confirms as 王芳", async () => {
      const phone = await context.newPage();
      await phone.goto(`${EMULATOR_URL}/connect/confirm?uuid=${uuid}`);
      await phone.locator("#phone-user").selectOption("wang");
      await phone.locator("#phone-confirm").click();
      await expect(phone.locator("#phone-result")).toContainText("已确认");
      await phone.close();
    });
    const account = new AccountPage(page);
    await account.expectSignedInAs("王芳");
    await expect(page.getByTestId("unionid")).toContainText("无");
  });

  test("sign-out ends the session", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    await login.goto();
    await emulator.confirm(await login.qrUuid(), "lin");
    const account = new AccountPage(page);
    await account.expectSignedInAs("林晓");
    await account.signOut();
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login/);
  });

  test("signing in again rotates the binding cookie and ends this browser's previous session", async ({ page, context, request }) => {
    const emulator = new Emulator(request);
    const cookie = async (name: string) => (await context.cookies()).find((each) => each.name === name);
    const login = new LoginPage(page);
    await login.goto();
    await emulator.confirm(await login.qrUuid(), "lin");
    await new AccountPage(page).expectSignedInAs("林晓");
    const firstSession = (await cookie("authjs.session-token"))!.value;
    const bindingAfterFirst = await cookie("wxlogin.bind");
    expect(bindingAfterFirst?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A day at most, not a month.
    expect(bindingAfterFirst!.expires * 1000 - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);

    // The same browser signs in again (the redirect form works while signed in).
    await page.goto("/api/wechat/login?app=web&returnTo=%2Faccount");
    const uuid = await page.locator("#wx-qr").getAttribute("data-uuid");
    await emulator.confirm(uuid!, "zhang");
    await new AccountPage(page).expectSignedInAs("张伟");
    expect((await cookie("wxlogin.bind"))?.value).not.toBe(bindingAfterFirst!.value);

    // A copy of the first cookie, taken earlier, no longer opens anything.
    const copy = await page.context().browser()!.newContext();
    await copy.addCookies([{ name: "authjs.session-token", value: firstSession, url: page.url() }]);
    const thief = await copy.newPage();
    await thief.goto("/account");
    await expect(thief).toHaveURL(/\/login/);
    await copy.close();
  });
});

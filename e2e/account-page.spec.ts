import { expect, test, type Page } from "@playwright/test";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";

// Other specs sign in as the same users on the same database: counts are compared before and after.

async function signIn(page: Page, emulator: Emulator, user: string, query: Record<string, string> = {}): Promise<AccountPage> {
  const login = new LoginPage(page);
  await login.goto(query);
  await emulator.confirm(login.qrUuid(), user);
  const account = new AccountPage(page);
  // Callers count rows next: wait for the whole page, not just its URL.
  await account.expectLoaded();
  return account;
}

test.describe("the account page", () => {
  test("unlinks a WeChat identity, but never the last way to sign in", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const account = await signIn(page, emulator, "li");
    await account.signOut();
    await signIn(page, emulator, "li", { app: "web2" });
    const rows = account.identityRows();
    expect(await rows.count()).toBeGreaterThanOrEqual(2);

    await test.step("unlink identities until one is left", async () => {
      for (let count = await rows.count(); count > 1; count--) {
        await rows.first().getByTestId("unlink-identity").click();
        await expect(account.notice()).toHaveAttribute("data-notice", "identity_unlinked");
        await expect(rows).toHaveCount(count - 1);
      }
    });

    await test.step("the last one cannot be unlinked, and the server says so too", async () => {
      const last = rows.first().getByTestId("unlink-identity");
      await expect(last).toBeDisabled();
      await expect(page.getByTestId("unlink-hint")).toBeVisible();
      await last.evaluate((button) => button.removeAttribute("disabled"));
      await last.click();
      await expect(account.notice()).toHaveAttribute("data-notice", "identity_last_method");
      await expect(account.notice()).toContainText("唯一的登录方式");
      await expect(rows).toHaveCount(1);
    });

    await test.step("signing in through both apps again links them again (one unionid)", async () => {
      await account.signOut();
      await signIn(page, emulator, "li");
      await account.signOut();
      await signIn(page, emulator, "li", { app: "web2" });
      await expect(rows).toHaveCount(2);
    });
  });

  test("another user's identity and session ids change nothing", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const zhangContext = await browser.newContext();
    const liContext = await browser.newContext();
    const zhang = await signIn(await zhangContext.newPage(), emulator, "zhang");
    const li = await signIn(await liContext.newPage(), emulator, "li");
    const zhangIdentityId = await zhang.identityRows().first().locator('input[name="identityId"]').inputValue();
    const zhangSessionId = await zhang.currentSessionId();
    const zhangIdentities = await zhang.identityRows().count();

    await test.step("a forged identity id", async () => {
      const button = li.identityRows().first().getByTestId("unlink-identity");
      await li
        .identityRows()
        .first()
        .locator('input[name="identityId"]')
        .evaluate((input, id) => ((input as HTMLInputElement).value = id), zhangIdentityId);
      await button.evaluate((element) => element.removeAttribute("disabled"));
      await button.click();
      await expect(li.notice()).toHaveAttribute("data-notice", "identity_not_found");
    });

    await test.step("a forged session id", async () => {
      const row = li.sessionRows().first();
      await row.locator('input[name="sessionId"]').evaluate((input, id) => ((input as HTMLInputElement).value = id), zhangSessionId);
      await row.getByTestId("revoke-session").click();
      await expect(li.notice()).toHaveAttribute("data-notice", "session_not_found");
    });

    await zhang.page.reload();
    await expect(zhang.page).toHaveURL(/\/account/);
    await expect(zhang.identityRows()).toHaveCount(zhangIdentities);
    await expect(zhang.sessionRow(zhangSessionId)).toHaveCount(1);
    await zhangContext.close();
    await liContext.close();
  });

  test("signing out another device from this one", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const laptopContext = await browser.newContext();
    const desktopContext = await browser.newContext();
    const laptop = await signIn(await laptopContext.newPage(), emulator, "zhang");
    const desktop = await signIn(await desktopContext.newPage(), emulator, "zhang");
    const desktopSessionId = await desktop.currentSessionId();

    await test.step("the laptop signs the desktop out", async () => {
      await laptop.page.reload();
      const before = await laptop.sessionRows().count();
      await laptop.sessionRow(desktopSessionId).getByTestId("revoke-session").click();
      await expect(laptop.notice()).toHaveAttribute("data-notice", "session_revoked");
      await expect(laptop.sessionRows()).toHaveCount(before - 1);
      await expect(laptop.sessionRow(desktopSessionId)).toHaveCount(0);
    });

    await test.step("the desktop finds itself signed out", async () => {
      await desktop.page.reload();
      await expect(desktop.page).toHaveURL(/\/login/);
    });

    await test.step("signing out the laptop's own session is a sign-out", async () => {
      await laptop
        .sessionRow(await laptop.currentSessionId())
        .getByTestId("revoke-session")
        .click();
      await expect(laptop.page).toHaveURL(/\/login\?signed_out=1$/);
      await laptop.page.goto("/account");
      await expect(laptop.page).toHaveURL(/\/login/);
    });
    await laptopContext.close();
    await desktopContext.close();
  });

  test("signing out everywhere ends every session, this one included", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const laptopContext = await browser.newContext();
    const desktopContext = await browser.newContext();
    const laptop = await signIn(await laptopContext.newPage(), emulator, "zhang");
    const desktop = await signIn(await desktopContext.newPage(), emulator, "zhang");

    await laptop.signOutEverywhere();
    await desktop.page.reload();
    await expect(desktop.page).toHaveURL(/\/login/);
    await laptop.page.goto("/account");
    await expect(laptop.page).toHaveURL(/\/login/);

    await test.step("the next sign-in is the only session", async () => {
      await signIn(laptop.page, emulator, "zhang");
      await expect(laptop.sessionRows()).toHaveCount(1);
      await expect(laptop.sessionRows().first()).toContainText("当前设备");
    });
    await laptopContext.close();
    await desktopContext.close();
  });

  test("the sign-in history lists each sign-in, newest first", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const account = await signIn(page, emulator, "zhang");
    const before = await account.signInRows().count();
    expect(before).toBeGreaterThanOrEqual(1);
    await account.signOut();
    await signIn(page, emulator, "zhang");
    await expect(account.signInRows()).toHaveCount(Math.min(before + 1, 50));
    const newest = account.signInRows().first();
    await expect(newest).toHaveAttribute("data-method", "wechat:website");
    await expect(newest).toContainText("微信扫码");
    await expect(account.sessionRows().and(page.locator("[data-current]"))).toContainText("微信扫码");
  });
});

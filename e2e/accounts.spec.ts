import { expect, test, type Page } from "@playwright/test";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";

async function signIn(page: Page, emulator: Emulator, user: string, query: Record<string, string> = {}): Promise<string> {
  const login = new LoginPage(page);
  await login.goto(query);
  await emulator.confirm(login.qrUuid(), user);
  // Callers count rows next: wait for the whole page, not just its URL.
  await new AccountPage(page).expectLoaded();
  return (await page.getByTestId("user-id").textContent()) ?? "";
}

test.describe("one person, one account", () => {
  test("a user without unionid signing in twice gets the same account", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const first = await signIn(page, emulator, "wang");
    await expect(page.getByTestId("unionid")).toContainText("无");
    await new AccountPage(page).signOut();
    const second = await signIn(page, emulator, "wang");
    expect(second).toBe(first);
    await expect(page.getByTestId("identity-row")).toHaveCount(1);
  });

  test("two users without unionid never share an account", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const wangContext = await browser.newContext();
    const liContext = await browser.newContext();
    const wang = await signIn(await wangContext.newPage(), emulator, "wang");
    const other = await signIn(await liContext.newPage(), emulator, "chen");
    expect(other).not.toBe(wang);
    await wangContext.close();
    await liContext.close();
  });

  test("two apps sharing a unionid meet in one user, with both openids kept", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const viaWeb = await signIn(page, emulator, "li");
    const unionid = (await page.getByTestId("unionid").textContent()) ?? "";
    expect(unionid).toMatch(/^o[\w-]{27}$/);
    await new AccountPage(page).signOut();
    const viaWeb2 = await signIn(page, emulator, "li", { app: "web2" });
    expect(viaWeb2).toBe(viaWeb);
    await expect(page.getByTestId("unionid")).toHaveText(unionid);
    const rows = page.getByTestId("identity-row");
    await expect(rows).toHaveCount(2);
    const appIds = await rows.evaluateAll((elements) => elements.map((element) => element.getAttribute("data-appid")));
    expect(new Set(appIds).size).toBe(2);
    // openids are shown masked, never whole.
    for (const text of await page.getByTestId("openid").allTextContents()) expect(text).toMatch(/^o[\w-]{3}…[\w-]{4}$/);
  });

  test("an identity first seen without unionid joins the person's account once its app starts giving one", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const WEB2_APPID = "wx8e0b5c61d2a3f471";
    // 张伟's account, keyed on his unionid (made now, or by an earlier test).
    const main = await signIn(page, emulator, "zhang");
    const unionid = (await page.getByTestId("unionid").textContent()) ?? "";
    expect(unionid).toMatch(/^o[\w-]{27}$/);
    await new AccountPage(page).signOut();

    try {
      // The site's second website app is not yet bound to its Open Platform account: no unionid.
      await emulator.settings({ unboundApps: [WEB2_APPID] });
      const alone = await signIn(page, emulator, "zhang", { app: "web2" });
      expect(alone).not.toBe(main);
      await expect(page.getByTestId("unionid")).toContainText("无");
      await expect(page.getByTestId("identity-row")).toHaveCount(1);
      await new AccountPage(page).signOut();

      // The site binds the app; the next sign-in brings the unionid, and the two accounts become one.
      await emulator.settings({ unboundApps: [] });
      const joined = await signIn(page, emulator, "zhang", { app: "web2" });
      expect(joined).toBe(main);
      await expect(page.getByTestId("unionid")).toHaveText(unionid);
      await expect(page.locator(`[data-testid="identity-row"][data-appid="${WEB2_APPID}"]`)).toHaveCount(1);
      await expect(page.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f470"]')).toHaveCount(1);
    } finally {
      // Never leave the app unbound for the tests after this one.
      await emulator.settings({ unboundApps: [] });
    }
  });

  test("return targets are same-origin only", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    await login.goto({ returnTo: "https://evil.example/steal" });
    await emulator.confirm(login.qrUuid(), "zhang");
    await expect(page).toHaveURL(/localhost:\d+\/account$/);
    await new AccountPage(page).signOut();
    await login.goto({ returnTo: "//evil.example/x" });
    await emulator.confirm(login.qrUuid(), "zhang");
    await expect(page).toHaveURL(/localhost:\d+\/account$/);
    await new AccountPage(page).signOut();
    await login.goto({ returnTo: "/account?tab=sessions" });
    await emulator.confirm(login.qrUuid(), "zhang");
    await expect(page).toHaveURL(/\/account\?tab=sessions$/);
  });

  test("the account page lists every active session of the user", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const laptop = await browser.newContext();
    const desktop = await browser.newContext();
    const laptopPage = await laptop.newPage();
    const desktopPage = await desktop.newPage();
    await signIn(laptopPage, emulator, "zhang");
    const before = await laptopPage.getByTestId("session-row").count();
    await signIn(desktopPage, emulator, "zhang");
    await laptopPage.reload();
    await expect(laptopPage.getByTestId("session-row")).toHaveCount(before + 1);
    await expect(laptopPage.getByTestId("session-row").filter({ hasText: "当前设备" })).toHaveCount(1);
    await laptop.close();
    await desktop.close();
  });
});

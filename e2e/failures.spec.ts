import { expect, test, type Page } from "@playwright/test";
import { translator } from "../lib/i18n/messages";
import { describeLoginError, loginErrorForErrcode, type LoginErrorCode } from "../lib/errors";
import { APP_URL } from "./config";
import { Emulator, type QrSession } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";

async function expectLoginError(page: Page, code: LoginErrorCode): Promise<void> {
  const box = page.getByTestId("login-error");
  await expect(box).toBeVisible();
  await expect(box).toHaveAttribute("data-reason", code);
  await expect(page.getByTestId("error-message")).toHaveText(translator("zh-CN")(describeLoginError(code).message));
  // The page never leaks internals.
  await expect(page.locator("body")).not.toContainText(/stack|Error:|at \w+ \(/);
}

/**
 * Confirms on the phone while the page's own navigation to the callback (WeChat's iframe moves the
 * top page) is held back, and returns the session with `visit`, the one way this page reaches the
 * callback afterwards. Every other navigation to the callback stays refused for the rest of the
 * test, so a late one from the iframe cannot race the test's own.
 */
async function holdCallback(page: Page, confirm: () => Promise<QrSession>): Promise<QrSession & { visit(url: string): Promise<void> }> {
  const pattern = "**/api/wechat/callback?**";
  let allowed: string | undefined;
  await page.route(pattern, (route) => (route.request().url() === allowed ? route.continue() : route.abort()));
  const held = page.waitForEvent("requestfailed", (req) => req.url().includes("/api/wechat/callback?"));
  const session = await confirm();
  await held;
  // WeChat's iframe would try the navigation again; remove it so the test alone drives the page.
  await page.evaluate(() => document.querySelector("#wx-qr-container")?.replaceChildren());
  const visit = async (url: string): Promise<void> => {
    allowed = new URL(url, APP_URL).href;
    try {
      await page.goto(allowed);
    } finally {
      allowed = undefined;
    }
  };
  return { ...session, visit };
}

test.describe("sign-in failures", () => {
  test.afterEach(async ({ request }) => {
    await new Emulator(request).reset();
  });

  test("cancel on the phone shows 'login cancelled, scan again'", async ({ page, request }) => {
    const login = new LoginPage(page);
    await login.goto();
    await new Emulator(request).cancel(await login.qrUuid());
    await expectLoginError(page, "cancelled");
    // The sign-in reference the person can quote to support (the console opens the attempt by it).
    await expect(page.getByTestId("error-attempt")).toHaveText(/^登录编号：[\w-]{16}（联系客服时请提供）$/);
    await expect(page.getByTestId("error-next")).toHaveText("重新扫码");
    await page.getByTestId("error-next").click();
    // The error page's own URL (/login/error) matches /login too: wait for the login page itself.
    await expect(page).toHaveURL(/\/login(\?|$)/);
    await expect(login.qrFrame.locator("#wx-qr")).toBeVisible();
  });

  test("an expired QR turns into a refresh button; the refreshed QR signs in", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await page.clock.install();
    const login = new LoginPage(page);
    await login.goto();
    const firstUuid = await login.qrUuid();
    await expect(page.getByTestId("qr-countdown")).toContainText("二维码有效期还剩");
    await emulator.expire(firstUuid);
    await expect(login.qrFrame.locator("#wx-status")).toContainText("二维码已失效");
    await page.clock.fastForward("05:01");
    await expect(page.getByTestId("qr-expired")).toContainText("二维码已过期");
    const firstState = await login.iframeState();
    await page.getByTestId("qr-refresh").click();
    await expect(page.getByTestId("qr-expired")).toBeHidden();
    // The old iframe stays until the new attempt is minted and wxLogin.js swaps in its own, so wait
    // for the new state before reading the QR: the frame read next is then the new one.
    await expect.poll(() => login.iframeState()).not.toBe(firstState);
    const secondUuid = await login.qrUuid();
    expect(secondUuid).not.toBe(firstUuid);
    await emulator.confirm(secondUuid, "lin");
    await new AccountPage(page).expectSignedInAs("林晓");
  });

  test("a duplicate callback with an already-used code lands signed in, never on 40163", async ({ page, request }) => {
    const login = new LoginPage(page);
    await login.goto();
    const callback = page.waitForRequest((req) => req.url().includes("/api/wechat/callback?code="));
    await new Emulator(request).confirm(await login.qrUuid(), "zhang");
    const callbackUrl = (await callback).url();
    await new AccountPage(page).expectSignedInAs("张伟");
    // Other tests' browsers may hold sessions of this user too: count relative to now.
    const sessions = await page.getByTestId("session-row").count();
    await page.goto(callbackUrl);
    await new AccountPage(page).expectSignedInAs("张伟");
    await expect(page.getByTestId("session-row")).toHaveCount(sessions);
  });

  test("an old callback replayed after sign-out does not sign the browser back in", async ({ page, request }) => {
    const login = new LoginPage(page);
    await login.goto();
    const callback = page.waitForRequest((req) => req.url().includes("/api/wechat/callback?code="));
    await new Emulator(request).confirm(await login.qrUuid(), "zhang");
    const callbackUrl = (await callback).url();
    const account = new AccountPage(page);
    await account.expectSignedInAs("张伟");
    await account.signOut();
    await page.goto(callbackUrl);
    // The sign-in rotated the binding cookie, so the old state no longer belongs to this browser at all.
    await expectLoginError(page, "state_wrong_browser");
    await page.goto("/account");
    await expect(page).toHaveURL(/\/login/);
  });

  test("a forged state is refused before the code is spent", async ({ page, request }) => {
    const login = new LoginPage(page);
    await login.goto();
    const session = await holdCallback(page, () => new Emulator(request).confirm(login.qrUuid(), "lin"));
    await session.visit(`/api/wechat/callback?code=${session.code}&state=forgedStateValue0123456789abcdef`);
    await expectLoginError(page, "state_invalid");
    // The code was not spent: the genuine callback still signs in.
    await session.visit(session.redirect!);
    await new AccountPage(page).expectSignedInAs("林晓");
  });

  test("a missing state is refused", async ({ page }) => {
    await page.goto("/api/wechat/callback?code=001HKCFa1UWlqz0ZsPHa1zrEwD2HKCF3");
    await expectLoginError(page, "state_missing");
  });

  test("a malformed callback query gets a clear page, not a crash", async ({ page }) => {
    await page.goto("/api/wechat/callback?code=%3Cscript%3E&state=%00%00");
    await expectLoginError(page, "state_invalid");
  });

  test("a callback replayed from another browser is refused; the original browser still signs in", async ({ page, browser, request }) => {
    const login = new LoginPage(page);
    await login.goto();
    // Hold the victim's own navigation so the attacker's replay comes first.
    const session = await holdCallback(page, () => new Emulator(request).confirm(login.qrUuid(), "lin"));
    const attacker = await browser.newContext();
    const attackerPage = await attacker.newPage();
    await attackerPage.goto(session.redirect!);
    await expectLoginError(attackerPage, "state_wrong_browser");
    await attackerPage.goto("/account");
    await expect(attackerPage).toHaveURL(/\/login/);
    await attacker.close();
    await session.visit(session.redirect!);
    await new AccountPage(page).expectSignedInAs("林晓");
  });

  test("WeChat not answering in time shows a timeout page", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await emulator.fault({ endpoint: "sns/oauth2/access_token", timeout: true });
    const login = new LoginPage(page);
    await login.goto();
    await emulator.confirm(await login.qrUuid(), "lin");
    await expectLoginError(page, "timeout");
    await expect(page.getByTestId("error-next")).toHaveText("稍后重试");
  });

  test("a 5xx and an unreadable reply from WeChat get their own pages", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    await emulator.fault({ endpoint: "sns/oauth2/access_token", status: 502 });
    await login.goto();
    await emulator.confirm(await login.qrUuid(), "lin");
    await expectLoginError(page, "upstream_unavailable");
    await emulator.fault({ endpoint: "sns/userinfo", malformed: true });
    await login.goto();
    await emulator.confirm(await login.qrUuid(), "lin");
    await expectLoginError(page, "malformed_response");
  });

  // Every errcode the token call can return (docs/wechat-protocol.md §A5), then the userinfo ones.
  const tokenErrcodes = [
    -1, 40001, 40002, 40003, 40013, 40014, 40029, 40030, 40125, 40163, 40164, 41001, 41002, 41003, 41004, 41008, 41009, 42001, 42002, 42003, 42007, 45009,
    45011, 48001, 50001, 50002, 61234,
  ];
  const userinfoErrcodes = [40001, 40003, 40014, 41001, 41009, 42001, 48001, 50001, 50002];

  test("each injected errcode shows its own message and next step", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const login = new LoginPage(page);
    const cases = [
      ...tokenErrcodes.map((errcode) => ({ endpoint: "sns/oauth2/access_token", errcode })),
      ...userinfoErrcodes.map((errcode) => ({ endpoint: "sns/userinfo", errcode })),
    ];
    // 37 sign-ins in one test: the suite's 60 s fit them only on an idle machine. Budget each one.
    test.setTimeout(30_000 + (cases.length + 1) * 5_000);
    for (const { endpoint, errcode } of cases) {
      await test.step(`${endpoint} → ${errcode}`, async () => {
        await emulator.fault({ endpoint, errcode });
        await login.goto();
        await emulator.confirm(await login.qrUuid(), "chen");
        await expectLoginError(page, loginErrorForErrcode(errcode));
        await expect(page.getByTestId("error-next")).toHaveAttribute("data-next", describeLoginError(loginErrorForErrcode(errcode)).next);
      });
    }
    await test.step("the same user then signs in fine", async () => {
      await login.goto();
      await emulator.confirm(await login.qrUuid(), "chen");
      await new AccountPage(page).expectSignedInAs("Chen Jie");
      await expect(page.getByTestId("identity-row")).toHaveCount(1);
    });
  });
});

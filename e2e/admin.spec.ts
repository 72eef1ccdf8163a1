import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { describeLoginError } from "../lib/errors";
import { translator } from "../lib/i18n/messages";
import { AdminInstance } from "./admin-instance";
import { ADMIN_URL } from "./config";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { AdminConsole } from "./pages/admin-console";
import { LoginPage } from "./pages/login-page";

// One instance of its own (fresh database) for the whole file: the tests build on each other.
test.describe.configure({ mode: "serial" });

const zh = translator("zh-CN");
let instance: AdminInstance;
let operator: { context: BrowserContext; page: Page; userId: string };
let zhang: { context: BrowserContext; page: Page };

/** A browser of its own, signed in through the website QR on the console's instance. */
async function signedIn(browser: Browser, emulator: Emulator, user: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: ADMIN_URL });
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await emulator.confirm(login.qrUuid(), user);
  await new AccountPage(page).expectLoaded();
  return { context, page };
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  instance = await AdminInstance.create();
});

test.afterAll(async () => {
  await operator?.context.close();
  await zhang?.context.close();
  await instance?.stop();
});

test("a signed-out visitor signs in with WeChat and comes back; a normal user is refused", async ({ browser, request }) => {
  const emulator = new Emulator(request);
  const context = await browser.newContext({ baseURL: ADMIN_URL });
  const page = await context.newPage();

  await test.step("signed out: the normal WeChat sign-in, then back to /admin", async () => {
    await page.goto("/admin/people");
    await expect(page).toHaveURL(/\/login\?returnTo=%2Fadmin%2Fpeople/);
    await emulator.confirm(new LoginPage(page).qrUuid(), "zhang");
    await expect(page).toHaveURL(/\/admin\/people$/);
  });

  await test.step("a normal user gets the 403 page, localized, on every section", async () => {
    await expect(page.getByTestId("forbidden")).toContainText(zh("admin.forbidden.heading"));
    for (const path of ["/admin", "/admin/attempts", "/admin/people?q=zhang", "/admin/wechat", "/admin/attempts/x", "/admin/people/x"]) {
      const response = await page.goto(path);
      expect(response?.status(), path).toBe(403);
      await expect(page.getByTestId("forbidden")).toBeVisible();
      await expect(page.getByTestId("admin-nav")).toHaveCount(0);
    }
  });
  zhang = { context, page };
});

test("the role is granted from the command line, and the operator gets in", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const emulator = new Emulator(request);
  const lin = await signedIn(browser, emulator, "lin");
  const userId = await new AccountPage(lin.page).userId();

  const nobody = await instance.adminGrant("13600136000");
  expect(nobody.status).toBe(1);
  expect(nobody.output).toContain("No account found");
  const granted = await instance.adminGrant(userId);
  expect(granted.status, granted.output).toBe(0);
  expect(granted.output).toContain(`Operator role granted to user ${userId}`);

  await lin.page.goto("/admin");
  await expect(lin.page.getByTestId("admin-nav")).toBeVisible();
  await expect(lin.page.getByTestId("funnel-table")).toBeVisible();
  operator = { ...lin, userId };
});

test("the funnel counts scripted sign-ins exactly", async ({ browser, request }) => {
  test.setTimeout(120_000);
  const emulator = new Emulator(request);
  const admin = new AdminConsole(operator.page);
  await admin.gotoFunnel();
  let reference = "";
  const before = { all: await admin.funnelCounts("all"), website: await admin.funnelCounts("website"), failures: await admin.failureCount(40029) };

  await test.step("two sign-ins and one that WeChat fails with 40029", async () => {
    for (const user of ["li", "wang"]) await (await signedIn(browser, emulator, user)).context.close();
    const context = await browser.newContext({ baseURL: ADMIN_URL });
    const page = await context.newPage();
    const login = new LoginPage(page);
    await emulator.fault({ endpoint: "sns/oauth2/access_token", errcode: 40029 });
    await login.goto();
    await emulator.confirm(login.qrUuid(), "chen");
    await expect(page.getByTestId("login-error")).toHaveAttribute("data-reason", "40029");
    reference = /[\w-]{16}/.exec((await page.getByTestId("error-attempt").textContent()) ?? "")?.[0] ?? "";
    await context.close();
  });

  await test.step("shown +3, confirmed +3, signed in +2, failed +1, per surface and in total", async () => {
    await admin.gotoFunnel();
    for (const surface of ["all", "website"] as const) {
      const now = await admin.funnelCounts(surface);
      const was = before[surface];
      expect(now.shown, surface).toBe((was.shown ?? 0) + 3);
      expect(now.signedIn, surface).toBe((was.signedIn ?? 0) + 2);
      expect(now.failed, surface).toBe((was.failed ?? 0) + 1);
      if (now.confirmed !== null) expect(now.confirmed, surface).toBe((was.confirmed ?? 0) + 3);
    }
    expect(await admin.failureCount(40029)).toBe(before.failures + 1);
    await expect(operator.page.locator('[data-testid="failure-row"][data-errcode="40029"]')).toContainText(zh(describeLoginError("40029").message));
    await expect(operator.page.getByTestId("funnel-chart").locator("svg")).toBeVisible();
    await expect(operator.page.getByTestId("series-chart").locator("svg")).toBeVisible();
  });

  await test.step("the reference on chen's error page opens his attempt", async () => {
    expect(reference).toMatch(/^[\w-]{16}$/);
    await admin.gotoAttempts();
    await operator.page.getByTestId("attempt-lookup").getByRole("textbox").fill(reference);
    await operator.page.getByTestId("attempt-lookup").getByRole("button").click();
    await expect(operator.page).toHaveURL(new RegExp(`/admin/attempts/${reference}$`));
    await expect(operator.page.getByTestId("rid-ours-message")).toHaveText(zh(describeLoginError("40029").message));
  });
});

test("looking a person up, and ending their session signs that browser out", async () => {
  const admin = new AdminConsole(operator.page);
  const zhangId = await (async () => {
    await zhang.page.goto("/account");
    return new AccountPage(zhang.page).userId();
  })();

  await test.step("by nickname, then by account id", async () => {
    await admin.searchPeople("张伟");
    await expect(admin.personRows()).toHaveCount(1);
    await admin.searchPeople(zhangId);
    await expect(admin.personRows()).toHaveCount(1);
    await admin.openPerson(zhangId);
    await expect(admin.sessionRows()).toHaveCount(1);
  });

  await test.step("the operator ends zhang's session", async () => {
    await admin.sessionRows().first().getByTestId("person-end-session").click();
    await expect(admin.notice()).toHaveAttribute("data-notice", "session_ended");
    await expect(admin.sessionRows()).toHaveCount(0);
    await expect(admin.auditRows("admin.session.end")).toHaveCount(1);
    await expect(admin.auditRows("admin.session.end")).toContainText(operator.userId);
  });

  await test.step("zhang's browser is signed out", async () => {
    await zhang.page.goto("/account");
    await expect(zhang.page).toHaveURL(/\/login/);
  });

  await test.step("zhang's one identity cannot be unlinked, and the refusal is audited", async () => {
    const unlink = operator.page.getByTestId("person-unlink");
    await expect(unlink).toHaveCount(1);
    await expect(unlink).toBeDisabled();
    await unlink.evaluate((button) => button.removeAttribute("disabled"));
    await unlink.click();
    await expect(admin.notice()).toHaveAttribute("data-notice", "identity_last_method");
    await expect(operator.page.getByTestId("person-identity")).toHaveCount(1);
    await expect(admin.auditRows("admin.identity.unlink")).toContainText("identity_last_method");
  });
});

test("a failed attempt's rid, explained by WeChat beside our own message", async ({ browser, request }) => {
  const emulator = new Emulator(request);
  // rid/get answers with an Official Account's or mini program's token: a mini-program code WeChat refuses to draw.
  await test.step("WeChat refuses to draw the mini-program code with 41030", async () => {
    const context = await browser.newContext({ baseURL: ADMIN_URL });
    const page = await context.newPage();
    await emulator.fault({ endpoint: "wxa/getwxacodeunlimit", errcode: 41030 });
    await page.goto("/login?qr=mini_program");
    await expect(page.getByTestId("live-qr-overlay")).toContainText(zh(describeLoginError("41030").message));
    await context.close();
  });

  const admin = new AdminConsole(operator.page);
  await test.step("the attempt is listed with its errcode and rid", async () => {
    await admin.gotoAttempts({ outcome: "failed", surface: "mini_program", errcode: "41030" });
    await expect(admin.attemptRows()).toHaveCount(1);
    await expect(admin.attemptRows().first()).toHaveAttribute("data-errcode", "41030");
    await admin.openFirstAttempt();
  });
  const rid = (await operator.page.getByTestId("attempt-rid").textContent())?.trim() ?? "";
  expect(rid).toMatch(/^[\da-f]{8}-[\da-f]{8}-[\da-f]{8}$/);

  await test.step("Explain: WeChat's answer beside our message and next step", async () => {
    await expect(operator.page.getByTestId("rid-ours-message")).toHaveText(zh(describeLoginError("41030").message));
    const answer = await admin.explainRid();
    await expect(answer).toHaveAttribute("data-status", "ok");
    await expect(answer.getByTestId("rid-answer")).toContainText(rid);
    // The call's own body (the scene and page of the code) and WeChat's reply to it.
    await expect(answer.getByTestId("rid-answer")).toContainText("pages/login/login");
    await expect(answer.getByTestId("rid-answer")).toContainText("41030");
  });

  await test.step("the explanation is in the operator's audit trail", async () => {
    await operator.page.goto(`/admin/people/${operator.userId}`);
    await expect(admin.auditRows("admin.rid.explain")).toHaveCount(1);
  });
  await emulator.reset();
});

test("a bad filter is a localized message, never a stack trace", async () => {
  const admin = new AdminConsole(operator.page);
  await admin.gotoAttempts({ outcome: "everything", errcode: "1;drop" });
  await expect(operator.page.getByTestId("admin-bad-query")).toContainText("outcome, errcode");
  await expect(operator.page.getByTestId("admin-bad-query")).toContainText("筛选条件无效");
  await expect(operator.page.locator("body")).not.toContainText(/stack|Error:|at \w+ \(/);
  await operator.page.goto("/admin/attempts/..%2F..%2Fetc");
  await expect(operator.page.getByTestId("attempt-not-found")).toBeVisible();
});

test("the console speaks English after the language switch", async () => {
  const en = translator("en");
  await operator.context.addCookies([{ name: "locale", value: "en", url: ADMIN_URL }]);
  await new AdminConsole(operator.page).gotoFunnel("7d");
  await expect(operator.page.getByRole("heading", { name: en("admin.funnel.heading") })).toBeVisible();
  await expect(operator.page.getByTestId("funnel-chart")).toContainText(en("admin.step.signedIn"));
  await operator.context.addCookies([{ name: "locale", value: "zh-CN", url: ADMIN_URL }]);
});

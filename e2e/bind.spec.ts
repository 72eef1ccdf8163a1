import { expect, test, type Page } from "@playwright/test";
import { startSmtpSink, type SmtpSink } from "../lib/messaging/smtp-sink";
import { BIND_OPTIONAL_PORT, BIND_REQUIRED_PORT, SMTP_SINK_PORT } from "./config";
import { Emulator } from "./emulator";
import { LoginPage } from "./pages/login-page";

const REQUIRED = `http://localhost:${BIND_REQUIRED_PORT}`;
const OPTIONAL = `http://localhost:${BIND_OPTIONAL_PORT}`;

/** Signs `user` in on an instance through the embedded QR; returns where the page landed. */
async function signIn(page: Page, emulator: Emulator, base: string, user: string, query: Record<string, string> = {}): Promise<void> {
  await page.goto(`${base}/login?${new URLSearchParams(query)}`);
  const login = new LoginPage(page);
  await emulator.confirm(login.qrUuid(), user);
  await expect(page).not.toHaveURL(/\/login/);
}

/** The newest code the dev outbox holds for `to`, once the page says it was sent. */
async function codeFromOutbox(page: Page, base: string, to: string, options: { justSent?: boolean } = {}): Promise<string> {
  // The send is a request of its own: wait for its answer before reading the outbox.
  if (options.justSent !== false) await expect(page.getByTestId("bind-message")).toContainText(/验证码已发送|Code sent/);
  const outbox = await page.context().newPage();
  await outbox.goto(`${base}/dev/outbox?${new URLSearchParams({ to })}`);
  const text = (await outbox.getByTestId("outbox-row").first().textContent()) ?? "";
  await outbox.close();
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  expect(code, `no code in the outbox for ${to}`).toBeDefined();
  return code!;
}

test.describe("first-login binding", () => {
  let sink: SmtpSink;
  test.beforeAll(async () => {
    sink = await startSmtpSink({ port: SMTP_SINK_PORT });
  });
  test.afterAll(async () => {
    await sink.close();
  });

  test("required mode: a new user reaches only /bind until a phone is bound (code from the dev outbox)", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, REQUIRED, "wang");
    await expect(page).toHaveURL(/\/bind/);
    await expect(page.getByTestId("bind-page")).toHaveAttribute("data-mode", "required");
    await expect(page.getByTestId("bind-skip")).toHaveCount(0);
    await page.goto(`${REQUIRED}/account`);
    await expect(page).toHaveURL(/\/bind/);

    await page.getByTestId("bind-target").fill("12345");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("请输入有效的手机号");

    await page.getByTestId("bind-target").fill("138 0013 8001");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("验证码已发送");
    await expect(page.getByTestId("bind-send")).toContainText(/\d+ 秒后可重新发送/);
    const code = await codeFromOutbox(page, REQUIRED, "+8613800138001");
    const wrong = code === "000000" ? "111111" : "000000";
    await page.getByTestId("bind-code").fill(wrong);
    await page.getByTestId("bind-submit").click();
    await expect(page.getByTestId("bind-message")).toContainText("还可以再试 4 次");
    await page.getByTestId("bind-code").fill(code);
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${REQUIRED}/account`);
    await expect(page.getByTestId("bound-phone")).toContainText("138****8001");
  });

  test("required mode: bind an email over real SMTP; the code in the mail works", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, REQUIRED, "chen");
    await expect(page).toHaveURL(/\/bind/);
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("Chen.Jie@Example.test");
    await page.getByTestId("bind-send").click();
    const mail = await sink.waitForMessage("chen.jie@example.test", 15_000);
    expect(mail.subject).toMatch(/验证码/);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code).toBeDefined();
    await page.getByTestId("bind-code").fill(code!);
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${REQUIRED}/account`);
    await expect(page.getByTestId("bound-email")).toContainText("c***@example.test");
  });

  test("optional mode: a new user can skip, and finds /bind again from the account page", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, OPTIONAL, "zhang");
    await expect(page).toHaveURL(/\/bind/);
    await page.getByTestId("bind-skip").click();
    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await page.getByTestId("bind-link").first().click();
    await expect(page).toHaveURL(/\/bind/);
    await expect(page.getByTestId("bind-page")).toHaveAttribute("data-mode", "optional");
  });

  test("changing the email re-verifies the new address", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, OPTIONAL, "chen", { app: "web2" });
    await expect(page).toHaveURL(/\/bind/);
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("old.address@example.test");
    await page.getByTestId("bind-send").click();
    await page.getByTestId("bind-code").fill(await codeFromOutbox(page, OPTIONAL, "old.address@example.test"));
    await page.getByTestId("bind-submit").click();
    await expect(page.getByTestId("bound-email")).toContainText("o***@example.test");

    await page.getByTestId("bind-link").last().click();
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("new.address@example.test");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("验证码已发送");
    // A wrong code changes nothing.
    await page.getByTestId("bind-code").fill("999999");
    await page.getByTestId("bind-submit").click();
    await expect(page.getByTestId("bind-message")).toContainText("验证码不正确");
    await page.goto(`${OPTIONAL}/account`);
    await expect(page.getByTestId("bound-email")).toContainText("o***@example.test");
    await page.getByTestId("bind-link").last().click();
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("new.address@example.test");
    // The code sent before the wrong try is still the live one.
    await page.getByTestId("bind-code").fill(await codeFromOutbox(page, OPTIONAL, "new.address@example.test", { justSent: false }));
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await expect(page.getByTestId("bound-email")).toContainText("n***@example.test");
  });

  test("a proved phone that belongs to another account merges this WeChat identity into it", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const owner = await browser.newContext();
    const ownerPage = await owner.newPage();
    await signIn(ownerPage, emulator, OPTIONAL, "li");
    await ownerPage.getByTestId("bind-target").fill("13900139001");
    await ownerPage.getByTestId("bind-send").click();
    await ownerPage.getByTestId("bind-code").fill(await codeFromOutbox(ownerPage, OPTIONAL, "+8613900139001"));
    await ownerPage.getByTestId("bind-submit").click();
    await expect(ownerPage).toHaveURL(`${OPTIONAL}/account`);
    const ownerId = await ownerPage.getByTestId("user-id").textContent();

    // Another WeChat account (王芳, second website app) proves the same number: it joins li's account.
    const other = await browser.newContext();
    const page = await other.newPage();
    await signIn(page, emulator, OPTIONAL, "wang", { app: "web2" });
    await expect(page).toHaveURL(/\/bind/);
    await page.getByTestId("bind-target").fill("+86 139 0013 9001");
    await page.getByTestId("bind-send").click();
    await page.getByTestId("bind-code").fill(await codeFromOutbox(page, OPTIONAL, "+8613900139001"));
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await expect(page.getByTestId("user-id")).toHaveText(ownerId!);
    await expect(page.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f471"]')).toHaveCount(1);
    await owner.close();
    await other.close();
  });
  test("when both accounts have an identity of the same app, the user chooses which one stays", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const owner = await browser.newContext();
    const ownerPage = await owner.newPage();
    await signIn(ownerPage, emulator, OPTIONAL, "lin");
    await ownerPage.getByTestId("bind-target").fill("13900139002");
    await ownerPage.getByTestId("bind-send").click();
    await ownerPage.getByTestId("bind-code").fill(await codeFromOutbox(ownerPage, OPTIONAL, "+8613900139002"));
    await ownerPage.getByTestId("bind-submit").click();
    await expect(ownerPage).toHaveURL(`${OPTIONAL}/account`);
    const ownerId = await ownerPage.getByTestId("user-id").textContent();

    // Chen Jie signs in through the same website app and proves the same number.
    const other = await browser.newContext();
    const page = await other.newPage();
    await signIn(page, emulator, OPTIONAL, "chen");
    await expect(page).toHaveURL(/\/bind/);
    await page.getByTestId("bind-target").fill("13900139002");
    await page.getByTestId("bind-send").click();
    await page.getByTestId("bind-code").fill(await codeFromOutbox(page, OPTIONAL, "+8613900139002"));
    await page.getByTestId("bind-submit").click();

    // One account can hold one identity per app: the page asks which of the two stays.
    const conflict = page.locator('[data-testid="bind-conflict"][data-appid="wx8e0b5c61d2a3f470"]');
    await expect(conflict).toBeVisible();
    await expect(page.getByTestId("bind-choose-submit")).toBeDisabled();
    const kept = (await conflict.locator("label", { has: page.getByTestId("bind-keep-existing") }).locator("code").textContent()) ?? "";
    const dropped = (await conflict.locator("label", { has: page.getByTestId("bind-keep-current") }).locator("code").textContent()) ?? "";
    expect(kept).not.toBe(dropped);
    await page.getByTestId("bind-keep-existing").check();
    await page.getByTestId("bind-choose-submit").click();

    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await expect(page.getByTestId("user-id")).toHaveText(ownerId!);
    const rows = page.locator('[data-testid="identity-row"][data-appid="wx8e0b5c61d2a3f470"]');
    await expect(rows).toHaveCount(1);
    await expect(rows.getByTestId("openid")).toHaveText(kept);
    await owner.close();
    await other.close();
  });
});

import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { startSmtpSink, type SmtpSink } from "../lib/test/smtp-sink";
import { BIND_OPTIONAL_PORT, BIND_REQUIRED_PORT, SMS_GATEWAY_PORT, SMS_NOTICE_TEMPLATE_CODE, SMS_TEMPLATE_CODE, SMTP_SINK_PORT } from "./config";
import { startSmsGateway, type SmsGateway } from "./sms-gateway";
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

let sink: SmtpSink;
let gateway: SmsGateway;

/** Aliyun is sent mainland numbers without +86. */
function aliyunNumber(e164: string): string {
  return e164.replace(/^\+86/, "");
}

/** The text of the newest message to `to`: an SMS at the Aliyun stand-in, or a mail at the SMTP sink. */
function newestMessageTo(to: string): string | undefined {
  if (to.startsWith("+")) {
    const sms = gateway.messages.filter((message) => message.to === aliyunNumber(to) && message.templateCode === SMS_TEMPLATE_CODE).at(-1);
    return sms?.params.code;
  }
  return sink.messages.filter((message) => message.envelope.to.includes(to.toLowerCase())).at(-1)?.text;
}

/**
 * The newest code sent to `to`, once the page says it was sent. The server answers only after the
 * provider accepted the message, so it has arrived by then.
 */
async function codeSentTo(page: Page, _base: string, to: string, options: { justSent?: boolean } = {}): Promise<string> {
  if (options.justSent !== false) await expect(page.getByTestId("bind-message")).toContainText(/验证码已发送|Code sent/);
  const code = /\b(\d{6})\b/.exec(newestMessageTo(to) ?? "")?.[1];
  expect(code, `no code sent to ${to}`).toBeDefined();
  return code!;
}

/** Waits until the bind form is hydrated: a click before that would be lost. */
async function bindFormReady(page: Page): Promise<void> {
  await expect(page.getByTestId("bind-form")).toHaveAttribute("data-ready", "true");
}

test.describe("first-login binding", () => {
  test.beforeAll(async () => {
    sink = await startSmtpSink({ port: SMTP_SINK_PORT });
    gateway = await startSmsGateway(SMS_GATEWAY_PORT);
  });
  test.afterAll(async () => {
    await sink.close();
    await gateway.close();
  });

  test("required mode: a new user reaches only /bind until a phone is bound (code by SMS)", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, REQUIRED, "wang");
    await expect(page).toHaveURL(/\/bind/);
    await expect(page.getByTestId("bind-page")).toHaveAttribute("data-mode", "required");
    await expect(page.getByTestId("bind-skip")).toHaveCount(0);
    await page.goto(`${REQUIRED}/account`);
    await expect(page).toHaveURL(/\/bind/);
    await bindFormReady(page);

    await page.getByTestId("bind-target").fill("12345");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("请输入有效的手机号");

    await page.getByTestId("bind-target").fill("138 0013 8001");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("验证码已发送");
    await expect(page.getByTestId("bind-send")).toContainText(/\d+ 秒后可重新发送/);
    const code = await codeSentTo(page, REQUIRED, "+8613800138001");
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
    await bindFormReady(page);
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
    await bindFormReady(page);
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("old.address@example.test");
    await page.getByTestId("bind-send").click();
    await page.getByTestId("bind-code").fill(await codeSentTo(page, OPTIONAL, "old.address@example.test"));
    await page.getByTestId("bind-submit").click();
    await expect(page.getByTestId("bound-email")).toContainText("o***@example.test");

    await page.getByTestId("bind-link").last().click();
    await bindFormReady(page);
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
    await bindFormReady(page);
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("new.address@example.test");
    // The code sent before the wrong try is still the live one.
    await page.getByTestId("bind-code").fill(await codeSentTo(page, OPTIONAL, "new.address@example.test", { justSent: false }));
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await expect(page.getByTestId("bound-email")).toContainText("n***@example.test");
  });

  test("an emailed link binds only in the browser that asked, and only by a POST: a prefetch or another browser takes nothing over", async ({
    browser,
    request,
  }) => {
    const emulator = new Emulator(request);
    // The victim (李娜) has an email bound to his account.
    const victim = await browser.newContext();
    const victimPage = await victim.newPage();
    await signIn(victimPage, emulator, OPTIONAL, "li");
    await bindFormReady(victimPage);
    await victimPage.getByTestId("bind-tab-email").click();
    await victimPage.getByTestId("bind-target").fill("victim@example.test");
    await victimPage.getByTestId("bind-send").click();
    await victimPage.getByTestId("bind-code").fill(await codeSentTo(victimPage, OPTIONAL, "victim@example.test"));
    await victimPage.getByTestId("bind-submit").click();
    await expect(victimPage).toHaveURL(`${OPTIONAL}/account`);
    // The identity rows are counted next: wait for the whole page, not just its URL.
    await victimPage.waitForLoadState();
    const victimId = await victimPage.getByTestId("user-id").textContent();
    const victimIdentities = await victimPage.getByTestId("identity-row").count();

    // The attacker signs in with any WeChat and has a link sent to the victim's address.
    const attacker = await browser.newContext();
    const attackerPage = await attacker.newPage();
    await signIn(attackerPage, emulator, OPTIONAL, "wang", { app: "web2" });
    await attackerPage.goto(`${OPTIONAL}/bind?returnTo=/account`);
    await bindFormReady(attackerPage);
    await attackerPage.getByTestId("bind-tab-email").click();
    await attackerPage.getByTestId("bind-target").fill("victim@example.test");
    await attackerPage.getByTestId("bind-send").click();
    await expect(attackerPage.getByTestId("bind-message")).toContainText("验证码已发送");
    const link = await linkSentTo(request, OPTIONAL, "victim@example.test");

    // A mail scanner or a link preview fetches it, without any cookie.
    const prefetch = await request.get(link);
    expect(prefetch.status()).toBe(200);
    // The victim opens it in his own browser and clicks whatever is there.
    const opened = await victim.newPage();
    await opened.goto(link);
    await expect(opened.getByTestId("bind-link-result")).toHaveAttribute("data-result", "other_browser");
    await expect(opened.getByTestId("bind-link-confirm")).toHaveCount(0);
    await opened.close();

    // Nothing moved: the victim's account, identities and email are his, the attacker is still himself.
    await victimPage.goto(`${OPTIONAL}/account`);
    await expect(victimPage.getByTestId("user-id")).toHaveText(victimId!);
    await expect(victimPage.getByTestId("identity-row")).toHaveCount(victimIdentities);
    await expect(victimPage.getByTestId("bound-email")).toContainText("v***@example.test");
    await attackerPage.goto(`${OPTIONAL}/account`);
    await expect(attackerPage.getByTestId("user-id")).not.toHaveText(victimId!);
    await expect(attackerPage.getByTestId("bound-email")).toHaveText("—");
    await victim.close();
    await attacker.close();
  });

  test("in the browser that asked, the emailed link shows one button, and only its POST binds", async ({ page, request }) => {
    const emulator = new Emulator(request);
    await signIn(page, emulator, OPTIONAL, "zhang", { app: "web2" });
    await page.goto(`${OPTIONAL}/bind?returnTo=/account`);
    await bindFormReady(page);
    await page.getByTestId("bind-tab-email").click();
    await page.getByTestId("bind-target").fill("zhang.link@example.test");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("验证码已发送");
    const link = await linkSentTo(request, OPTIONAL, "zhang.link@example.test");
    await page.goto(link);
    await expect(page.getByTestId("bind-link-result")).toHaveAttribute("data-result", "confirm");
    // Opening the page bound nothing yet.
    const check = await page.context().newPage();
    await check.goto(`${OPTIONAL}/account`);
    await expect(check.getByTestId("bound-email")).toHaveText("—");
    await check.close();
    await page.getByTestId("bind-link-confirm").click();
    await expect(page.getByTestId("bind-link-result")).toHaveAttribute("data-result", "bound");
    await page.goto(`${OPTIONAL}/account`);
    await expect(page.getByTestId("bound-email")).toContainText("z***@example.test");
  });

  test("a recycled number: the newcomer who proves it gets it; the owner keeps his WeChat and account, sees the move, and is told", async ({
    browser,
    request,
  }) => {
    const emulator = new Emulator(request);
    const owner = await browser.newContext();
    const ownerPage = await owner.newPage();
    await signIn(ownerPage, emulator, OPTIONAL, "lin");
    await bindFormReady(ownerPage);
    await ownerPage.getByTestId("bind-target").fill("13900139002");
    await ownerPage.getByTestId("bind-send").click();
    await ownerPage.getByTestId("bind-code").fill(await codeSentTo(ownerPage, OPTIONAL, "+8613900139002"));
    await ownerPage.getByTestId("bind-submit").click();
    await expect(ownerPage).toHaveURL(`${OPTIONAL}/account`);
    const ownerId = await ownerPage.getByTestId("user-id").textContent();
    const ownerOpenid = await ownerPage.getByTestId("openid").first().textContent();

    // The number's new holder (陈杰, same website app) signs in and proves it.
    const other = await browser.newContext();
    const page = await other.newPage();
    await signIn(page, emulator, OPTIONAL, "chen");
    await expect(page).toHaveURL(/\/bind/);
    await bindFormReady(page);
    await page.getByTestId("bind-target").fill("13900139002");
    await page.getByTestId("bind-send").click();
    await page.getByTestId("bind-code").fill(await codeSentTo(page, OPTIONAL, "+8613900139002"));
    await page.getByTestId("bind-submit").click();
    await expect(page).toHaveURL(`${OPTIONAL}/account`);
    await expect(page.getByTestId("user-id")).not.toHaveText(ownerId!);
    await expect(page.getByTestId("bound-phone")).toContainText("139****9002");
    await expect(page.getByTestId("identity-row")).toHaveCount(1);

    // The owner is still signed in to his own account, with his WeChat identity; the phone left it.
    await ownerPage.goto(`${OPTIONAL}/account`);
    await expect(ownerPage.getByTestId("user-id")).toHaveText(ownerId!);
    await expect(ownerPage.getByTestId("openid")).toHaveText([ownerOpenid!]);
    await expect(ownerPage.getByTestId("bound-phone")).toHaveText("—");
    await expect(ownerPage.locator('[data-testid="history-event"][data-action="contact.moved_away"]')).toContainText("139****9002");
    // ...and signing in again with WeChat lands in that same account.
    const again = await browser.newContext();
    const againPage = await again.newPage();
    await signIn(againPage, emulator, OPTIONAL, "lin");
    await againPage.goto(`${OPTIONAL}/account`);
    await expect(againPage.getByTestId("user-id")).toHaveText(ownerId!);

    // A notice went to the number.
    // The notice went to the number, through the site's approved notice template.
    const notice = gateway.messages
      .filter((message) => message.to === aliyunNumber("+8613900139002") && message.templateCode === SMS_NOTICE_TEMPLATE_CODE)
      .at(-1);
    expect(notice?.params.time, "a moved-away notice was texted to the number").toMatch(/\d/);
    await owner.close();
    await other.close();
    await again.close();
  });

  test("the form says when to retry a refused send: another account's code to the same number, a country not served", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const first = await browser.newContext();
    const firstPage = await first.newPage();
    await signIn(firstPage, emulator, OPTIONAL, "zhang");
    await firstPage.goto(`${OPTIONAL}/bind?returnTo=/account`);
    await bindFormReady(firstPage);
    await firstPage.getByTestId("bind-target").fill("13900139003");
    await firstPage.getByTestId("bind-send").click();
    await expect(firstPage.getByTestId("bind-message")).toContainText("验证码已发送");

    const second = await browser.newContext();
    const page = await second.newPage();
    await signIn(page, emulator, OPTIONAL, "wang");
    await page.goto(`${OPTIONAL}/bind?returnTo=/account`);
    await bindFormReady(page);
    await page.getByTestId("bind-target").fill("+86 139 0013 9003");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText(/发送太频繁，请在 \d+ 秒后重新发送/);
    // The refusal's retryIn holds the button for as long.
    await expect(page.getByTestId("bind-send")).toBeDisabled();
    await expect(page.getByTestId("bind-send")).toContainText(/\d+ 秒后可重新发送/);

    // The countdown of the refused send holds the button: a fresh page has none.
    await page.reload();
    await bindFormReady(page);
    await page.getByTestId("bind-target").fill("+1 650 253 0000");
    await page.getByTestId("bind-send").click();
    await expect(page.getByTestId("bind-message")).toContainText("暂不支持该国家或地区（+1）的手机号");
    await first.close();
    await second.close();
  });
});

/** The verification link of the newest mail to `to` at the SMTP sink. */
async function linkSentTo(_request: APIRequestContext, _base: string, to: string): Promise<string> {
  const match = /(http:\/\/localhost:\d+\/bind\/verify\?token=[A-Za-z0-9_-]{43})/.exec(newestMessageTo(to) ?? "");
  expect(match, `no link in the mail to ${to}`).not.toBeNull();
  return match![1]!;
}

/**
 * Takes the README's screenshots from a running `npm run dev` (app on :3000, emulator on :3100):
 *   npx tsx scripts/screenshots.ts
 * The console's shots grant the operator role with `npm run admin:grant` while the app runs, so
 * for them run the app on PostgreSQL (`DATABASE_URL=… npm run dev`): PGlite admits one process.
 */
import { spawnSync } from "node:child_process";
import { chromium, expect as baseExpect, type Browser } from "@playwright/test";
import { CHROMIUM_ARGS } from "../e2e/config";
import { MiniProgramLoginPage, openMiniProgram } from "../e2e/pages/mini-program";

// A development server compiles each route on its first request: give it time.
const expect = baseExpect.configure({ timeout: 30_000 });

const APP = process.env.APP_URL ?? "http://localhost:3000";
const EMULATOR = process.env.EMULATOR_URL ?? "http://localhost:3100";
const OUT = "docs/screenshots";

const browser = await chromium.launch({
  executablePath: process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? "/usr/bin/chromium",
  args: CHROMIUM_ARGS,
});
const context = await browser.newContext({ viewport: { width: 1100, height: 820 }, locale: "zh-CN" });
const page = await context.newPage();

await page.goto(`${APP}/login`);
const frame = page.frameLocator("#wx-qr-container iframe");
await frame.locator("#wx-qr").waitFor();
await page.waitForTimeout(500);
await page.screenshot({ path: `${OUT}/login-zh.png` });

await page.getByTestId("lang-switch").click();
await page.waitForFunction(() => document.documentElement.lang === "en");
await frame.locator("#wx-qr").waitFor();
await page.waitForTimeout(500);
await page.screenshot({ path: `${OUT}/login-en.png` });
await page.getByTestId("lang-switch").click();
await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
// The language switch re-creates WeChat's iframe: read the QR of the new one.
await page.waitForFunction(() => !document.querySelector("#wx-qr-container iframe")?.getAttribute("src")?.includes("lang=en"));
await frame.locator("#wx-qr").waitFor();

const uuid = await frame.locator("#wx-qr").getAttribute("data-uuid");
const phone = await browser.newPage({ viewport: { width: 390, height: 760 }, isMobile: true, locale: "zh-CN" });
await phone.goto(`${EMULATOR}/connect/confirm?uuid=${uuid}`);
await phone.locator("#phone-user").selectOption("lin");
await phone.screenshot({ path: `${OUT}/emulator-phone.png` });
await phone.locator("#phone-confirm").click();

await page.waitForURL(/\/account/);
await page.waitForTimeout(300);
await page.screenshot({ path: `${OUT}/account.png`, fullPage: true });

// Our own QR (follow-to-login): waiting, then scanned with the match number, and the phone's confirm page.
const live = await (await browser.newContext({ viewport: { width: 1100, height: 820 }, locale: "zh-CN" })).newPage();
await live.goto(`${APP}/login?qr=official_account`);
await live.getByTestId("live-qr-image").waitFor();
const qrUrl = await live.getByTestId("live-qr-image").getAttribute("data-qr-url");
const scan = await fetch(`${EMULATOR}/_emulator/oa/scan`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ url: qrUrl, user: "zhang", as: "existing" }),
});
const delivery = (await scan.json()) as { reply?: { links: string[] } };
await live.getByTestId("live-qr-match").waitFor();
await live.screenshot({ path: `${OUT}/live-qr-scanned.png` });
const confirm = await browser.newPage({
  viewport: { width: 390, height: 760 },
  isMobile: true,
  locale: "zh-CN",
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47",
});
await confirm.goto(delivery.reply!.links[0]!);
await confirm.getByTestId("confirm-page").waitFor();
await confirm.screenshot({ path: `${OUT}/confirm-phone.png` });

// The mini-program code: the computer's page once the phone opened the mini program, and the mini
// program itself as the emulator plays it, in both languages (the phone's language follows its `lang`).
for (const lang of ["zh", "en"] as const) {
  const pc = await (await browser.newContext({ viewport: { width: 1100, height: 820 }, locale: lang === "zh" ? "zh-CN" : "en" })).newPage();
  await pc.goto(`${APP}/login?qr=mini_program`);
  if (lang === "en") {
    await pc.getByTestId("lang-switch").click();
    await pc.waitForFunction(() => document.documentElement.lang === "en");
  }
  const login = new MiniProgramLoginPage(pc);
  await expect(login.status()).toHaveAttribute("data-status", "waiting");
  const mp = await openMiniProgram(browser, await login.codeUrl(), "zhang", lang === "en" ? { lang: "en" } : {});
  await expect(mp.getByTestId("mp-status")).toHaveAttribute("data-state", "ready");
  await expect(login.status()).toHaveAttribute("data-status", "scanned");
  await mp.getByTestId(`mp-choice-${await login.matchCode()}`).click();
  await pc.screenshot({ path: `${OUT}/mini-program-pc-${lang}.png` });
  await mp.screenshot({ path: `${OUT}/mini-program-phone-${lang}.png` });
  await mp.getByTestId("mp-cancel").click();
  await expect(mp.getByTestId("mp-status")).toHaveAttribute("data-state", "cancelled");
}

// The operator console, as 林晓 (signed in above) once granted the role from the command line.
const linId = (await page.getByTestId("user-id").textContent())?.trim() ?? "";
const grant = spawnSync("npm", ["run", "--silent", "admin:grant", "--", linId], { encoding: "utf8", env: process.env });
if (grant.status !== 0) {
  console.error(`Console screenshots skipped: admin:grant failed (run the app on PostgreSQL):\n${grant.stdout}${grant.stderr}`);
} else {
  await consoleScreenshots(browser);
}
await browser.close();
console.log(`Screenshots written to ${OUT}/`);

async function emulatorPost(path: string, body: unknown): Promise<void> {
  await fetch(`${EMULATOR}/_emulator/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** One website QR sign-in in a browser of its own; `errcode` makes WeChat's token call fail with it. */
async function scriptedSignIn(browser: Browser, user: string, errcode?: number): Promise<void> {
  const context = await browser.newContext({ locale: "zh-CN" });
  const signIn = await context.newPage();
  if (errcode !== undefined) await emulatorPost("faults", { endpoint: "sns/oauth2/access_token", errcode, times: 1 });
  await signIn.goto(`${APP}/login`);
  const qr = signIn.frameLocator("#wx-qr-container iframe").locator("#wx-qr");
  await expect(qr).toHaveAttribute("data-uuid", /.+/);
  await emulatorPost(`qr/${await qr.getAttribute("data-uuid")}/confirm`, { user });
  await signIn.waitForURL(errcode === undefined ? /\/(account|bind)/ : /\/login\/error/);
  await context.close();
}

async function consoleScreenshots(browser: Browser): Promise<void> {
  for (const user of ["zhang", "wang", "li", "chen"]) await scriptedSignIn(browser, user);
  for (const errcode of [40029, 40163, 40029]) await scriptedSignIn(browser, "chen", errcode);
  const admin = await (
    await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", storageState: await context.storageState() })
  ).newPage();
  await admin.goto(`${APP}/admin`);
  await admin.getByTestId("funnel-table").waitFor();
  await admin.screenshot({ path: `${OUT}/admin-funnel.png`, fullPage: true });

  // A mini-program code WeChat refused to draw: its rid is one rid/get can explain (a website app's cannot).
  await emulatorPost("faults", { endpoint: "wxa/getwxacodeunlimit", errcode: 41030, times: 1 });
  const refused = await (await browser.newContext({ locale: "zh-CN" })).newPage();
  await refused.goto(`${APP}/login?qr=mini_program`);
  await refused.getByTestId("live-qr-overlay").waitFor();
  await refused.context().close();
  await admin.goto(`${APP}/admin/attempts?outcome=failed&surface=mini_program`);
  await admin.getByTestId("attempt-open").first().click();
  await admin.getByTestId("attempt-facts").waitFor();
  const explain = admin.getByTestId("explain-rid");
  if (await explain.count()) {
    await explain.click();
    await expect(admin.getByTestId("rid-wechat")).not.toHaveAttribute("data-status", "idle");
  }
  await admin.screenshot({ path: `${OUT}/admin-attempt.png`, fullPage: true });

  await admin.goto(`${APP}/admin/people?q=${encodeURIComponent("张伟")}`);
  await admin.getByTestId("person-open").first().click();
  await admin.getByTestId("person-facts").waitFor();
  await admin.screenshot({ path: `${OUT}/admin-person.png`, fullPage: true });

  await admin.goto(`${APP}/admin/wechat`);
  await admin.getByTestId("wechat-tokens").waitFor();
  await admin.screenshot({ path: `${OUT}/admin-wechat.png`, fullPage: true });
}

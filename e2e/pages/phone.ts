import type { Browser, BrowserContext } from "@playwright/test";
import { EMULATOR_URL } from "./../config";

/** WeChat's in-app browser on a phone, as the app sees it. */
export const WECHAT_MOBILE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN";

/** A phone inside WeChat, signed in to WeChat as `user` (the emulator's `wx_user` cookie). */
export async function openWechatPhone(browser: Browser, user: string): Promise<BrowserContext> {
  const context = await browser.newContext({ userAgent: WECHAT_MOBILE_UA, viewport: { width: 390, height: 760 }, isMobile: true, locale: "zh-CN" });
  const page = await context.newPage();
  await page.goto(`${EMULATOR_URL}/_emulator/as?user=${user}&redirect=${encodeURIComponent(`${EMULATOR_URL}/`)}`);
  await page.close();
  return context;
}

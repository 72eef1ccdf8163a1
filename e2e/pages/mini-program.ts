import { expect, type Browser, type Page } from "@playwright/test";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { LiveQrPage } from "./live-qr-page";

/** /login showing the mini-program code (小程序码) with its live status. */
export class MiniProgramLoginPage extends LiveQrPage {
  constructor(page: Page) {
    super(page);
  }

  override async goto(query: Record<string, string> = {}, baseUrl = ""): Promise<void> {
    await this.page.goto(`${baseUrl}/login?${new URLSearchParams({ qr: "mini_program", ...query })}`);
    await expect(this.status()).toHaveAttribute("data-surface", "mini_program");
    await expect(this.status()).toHaveAttribute("data-status", "waiting");
  }

  /** What the code image WeChat drew encodes (a phone's camera reads the same): the mini program's page with the scene. */
  async codeUrl(): Promise<string> {
    await expect(this.page.getByTestId("live-qr-image")).toBeVisible();
    const src = (await this.page.getByTestId("live-qr-image").getAttribute("src"))!;
    const png = PNG.sync.read(Buffer.from(src.slice(src.indexOf(",") + 1), "base64"));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    if (!decoded) throw new Error("the code image does not decode");
    return decoded.data;
  }
}

/** A phone with WeChat, `user` signed in, opening `url` (a scanned code or a URL Link): the emulator plays the mini program. */
export async function openMiniProgram(browser: Browser, url: string, user: string, options: { lang?: "en" } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 760 }, isMobile: true, locale: "zh-CN" });
  const phone = await context.newPage();
  const target = new URL(url);
  target.searchParams.set("user", user);
  if (options.lang) target.searchParams.set("lang", options.lang);
  await phone.goto(target.toString());
  return phone;
}

/** The mini program's state as its page shows it. */
export async function expectMiniProgramState(phone: Page, state: string): Promise<void> {
  await expect(phone.getByTestId("mp-status")).toHaveAttribute("data-state", state);
}

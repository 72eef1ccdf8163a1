import { expect, type FrameLocator, type Page } from "@playwright/test";

/** /login with WeChat's embedded QR (wxLogin.js iframe served by the emulator). */
export class LoginPage {
  constructor(readonly page: Page) {}

  async goto(query: Record<string, string> = {}): Promise<void> {
    const search = new URLSearchParams(query).toString();
    await this.page.goto(`/login${search ? `?${search}` : ""}`);
  }

  get qrFrame(): FrameLocator {
    return this.page.frameLocator("#wx-qr-container iframe");
  }

  /** The uuid of the QR currently shown in the iframe. */
  async qrUuid(): Promise<string> {
    const image = this.qrFrame.locator("#wx-qr");
    await expect(image).toHaveAttribute("data-uuid", /.+/);
    return (await image.getAttribute("data-uuid"))!;
  }

  /** The state our server minted for the iframe now shown. */
  async iframeState(): Promise<string> {
    const src = await this.page.locator("#wx-qr-container iframe").getAttribute("src");
    return new URL(src!).searchParams.get("state")!;
  }
}

import { expect, type Page } from "@playwright/test";

/** /login showing our own QR (follow-to-login) with its live status. */
export class LiveQrPage {
  constructor(readonly page: Page) {}

  async goto(query: Record<string, string> = {}): Promise<void> {
    await this.page.goto(`/login?${new URLSearchParams({ qr: "official_account", ...query })}`);
    await expect(this.status()).toHaveAttribute("data-status", "waiting");
  }

  status() {
    return this.page.getByTestId("live-qr");
  }

  async expectStatus(status: string): Promise<void> {
    await expect(this.status()).toHaveAttribute("data-status", status);
  }

  /** What the QR encodes: the phone "scans" this. */
  async qrUrl(): Promise<string> {
    return (await this.page.getByTestId("live-qr-image").getAttribute("data-qr-url"))!;
  }

  /** The id of the ticket shown; while a new QR is being made there is none, so this waits for one. */
  async ticketId(): Promise<string> {
    await expect(this.status()).toHaveAttribute("data-ticket", /.+/);
    return (await this.status().getAttribute("data-ticket"))!;
  }

  async matchCode(): Promise<string> {
    return ((await this.page.getByTestId("live-qr-match").textContent()) ?? "").trim();
  }
}

import { expect, type Page } from "@playwright/test";

export class AccountPage {
  constructor(readonly page: Page) {}

  async expectSignedInAs(nickname: string): Promise<void> {
    await expect(this.page).toHaveURL(/\/account$/);
    await this.page.waitForLoadState();
    await expect(this.page.getByTestId("nickname")).toHaveText(nickname);
  }

  /**
   * Waits until the page shown is /account and has loaded. The URL changes when the page commits,
   * before its HTML is parsed: a count read then could see some of the rows only.
   */
  async expectLoaded(): Promise<void> {
    await expect(this.page).toHaveURL(/\/account/);
    await this.page.waitForLoadState();
  }

  identityRows() {
    return this.page.getByTestId("identity-row");
  }

  sessionRows() {
    return this.page.getByTestId("session-row");
  }

  signInRows() {
    return this.page.getByTestId("signin-row");
  }

  notice() {
    return this.page.getByTestId("account-notice");
  }

  async unionid(): Promise<string> {
    return (await this.page.getByTestId("unionid").textContent()) ?? "";
  }

  async userId(): Promise<string> {
    return (await this.page.getByTestId("user-id").textContent()) ?? "";
  }

  /** The id of this browser's own session, as its row's sign-out form carries it. */
  async currentSessionId(): Promise<string> {
    return this.sessionRows().and(this.page.locator("[data-current]")).locator('input[name="sessionId"]').inputValue();
  }

  sessionRow(sessionId: string) {
    return this.sessionRows().filter({ has: this.page.locator(`input[name="sessionId"][value="${sessionId}"]`) });
  }

  async signOut(): Promise<void> {
    await this.page.getByTestId("sign-out").click();
    await expect(this.page).toHaveURL(/\/login/);
  }

  async signOutEverywhere(): Promise<void> {
    await this.page.getByTestId("sign-out-everywhere").click();
    await expect(this.page).toHaveURL(/\/login\?signed_out=1$/);
  }
}

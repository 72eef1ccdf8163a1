import { expect, type Page } from "@playwright/test";

export class AccountPage {
  constructor(readonly page: Page) {}

  async expectSignedInAs(nickname: string): Promise<void> {
    await expect(this.page).toHaveURL(/\/account$/);
    await expect(this.page.getByTestId("nickname")).toHaveText(nickname);
  }

  identityRows() {
    return this.page.getByTestId("identity-row");
  }

  async unionid(): Promise<string> {
    return (await this.page.getByTestId("unionid").textContent()) ?? "";
  }

  async signOut(): Promise<void> {
    await this.page.getByTestId("sign-out").click();
    await expect(this.page).toHaveURL(/\/login/);
  }
}

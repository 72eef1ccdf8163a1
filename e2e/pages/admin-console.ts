import { expect, type Locator, type Page } from "@playwright/test";

type Step = "shown" | "scanned" | "confirmed" | "signedIn" | "failed";

/** The operator console (/admin): funnel, attempts, people. */
export class AdminConsole {
  constructor(readonly page: Page) {}

  async gotoFunnel(period: "24h" | "7d" | "30d" = "24h"): Promise<void> {
    await this.page.goto(`/admin?period=${period}`);
    await expect(this.page.getByTestId("funnel-table")).toBeVisible();
  }

  /** A funnel cell as a number: 0 when the surface has no row yet, null when WeChat does not report the step. */
  async funnelValue(surface: string, step: Step): Promise<number | null> {
    const row = this.page.locator(`[data-testid="funnel-row"][data-surface="${surface}"]`);
    if ((await row.count()) === 0) return 0;
    const value = await row.locator(`[data-step="${step}"]`).getAttribute("data-value");
    return value === "" || value === null ? null : Number(value);
  }

  async funnelCounts(surface: string): Promise<Record<Step, number | null>> {
    const steps: Step[] = ["shown", "scanned", "confirmed", "signedIn", "failed"];
    const values = await Promise.all(steps.map((step) => this.funnelValue(surface, step)));
    return Object.fromEntries(steps.map((step, index) => [step, values[index] ?? null])) as Record<Step, number | null>;
  }

  /** How often a failure code was counted in the period (0 when absent). */
  async failureCount(errcode: number): Promise<number> {
    const row = this.page.locator(`[data-testid="failure-row"][data-errcode="${errcode}"]`);
    if ((await row.count()) === 0) return 0;
    return Number(await row.getByTestId("failure-count").textContent());
  }

  async gotoAttempts(filter: Record<string, string> = {}): Promise<void> {
    await this.page.goto(`/admin/attempts?${new URLSearchParams(filter)}`);
    await expect(this.page.getByTestId("attempt-filter")).toBeVisible();
  }

  attemptRows(): Locator {
    return this.page.getByTestId("attempt-row");
  }

  async openFirstAttempt(): Promise<void> {
    await this.attemptRows().first().getByTestId("attempt-open").click();
    await expect(this.page.getByTestId("attempt-facts")).toBeVisible();
  }

  async explainRid(): Promise<Locator> {
    await this.page.getByTestId("explain-rid").click();
    const answer = this.page.getByTestId("rid-wechat");
    await expect(answer).not.toHaveAttribute("data-status", "idle");
    return answer;
  }

  async searchPeople(query: string): Promise<void> {
    await this.page.goto("/admin/people");
    await this.page.getByTestId("people-query").fill(query);
    await this.page.getByTestId("people-search").click();
    await expect(this.page).toHaveURL(/\/admin\/people\?q=/);
  }

  personRows(): Locator {
    return this.page.getByTestId("person-row");
  }

  async openPerson(userId: string): Promise<void> {
    await this.page.locator(`[data-testid="person-row"][data-id="${userId}"]`).getByTestId("person-open").click();
    await expect(this.page.getByTestId("person-id")).toHaveText(userId);
  }

  sessionRows(): Locator {
    return this.page.getByTestId("person-session");
  }

  notice(): Locator {
    return this.page.getByTestId("person-notice");
  }

  auditRows(action: string): Locator {
    return this.page.locator(`[data-testid="person-audit-row"][data-action="${action}"]`);
  }
}

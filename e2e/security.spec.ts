import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { APP_URL } from "./config";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LoginPage } from "./pages/login-page";

/** A page on another origin (an attacker's site) that frames `target`. */
async function startFramingSite(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><title>prize</title><iframe id="victim" src="${target}" width="800" height="600"></iframe>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://localhost:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test.describe("browser-side defences", () => {
  test("every page forbids framing by other sites; only the OAuth callback may sit in WeChat's iframe", async ({ request }) => {
    const login = await request.get("/login");
    expect(login.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(login.headers()["x-frame-options"]).toBe("DENY");
    const callback = await request.get("/api/wechat/callback", { maxRedirects: 0 });
    // One policy only: a second one would be enforced too, and its frame-ancestors 'none' would win.
    const policies = callback.headersArray().filter((header) => header.name.toLowerCase() === "content-security-policy");
    expect(policies).toHaveLength(1);
    expect(policies[0]!.value).toMatch(/frame-ancestors 'self' http:\/\/localhost:\d+$/);
    expect(callback.headers()["x-frame-options"]).toBeUndefined();
    // The AUTH_URL of this server is http://, so no HSTS (it would pin localhost to https).
    expect(login.headers()["strict-transport-security"]).toBeUndefined();
  });

  test("an attacker's page cannot frame the login or account page (clickjacking)", async ({ page }) => {
    const site = await startFramingSite(`${APP_URL}/login`);
    try {
      // goto waits for the load event, which waits for the iframe's own load (or its refusal).
      await page.goto(site.url);
      const framed = page.frames().find((frame) => frame !== page.mainFrame());
      expect(framed, "the attacker's page has its iframe").toBeDefined();
      // Chromium leaves its error page in the frame, never our login page.
      expect(framed!.url()).not.toContain("/login");
      await expect(page.frameLocator("#victim").locator("[data-testid]")).toHaveCount(0);
    } finally {
      await site.close();
    }
  });

  test("a client that writes X-Forwarded-For does not choose the address stored and shown for its session", async ({ browser, request }) => {
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-For": "198.51.100.77", "X-Real-IP": "198.51.100.78" } });
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await new Emulator(request).confirm(login.qrUuid(), "zhang");
    await expect(page).toHaveURL(/\/account/);
    const account = new AccountPage(page);
    const current = account.sessionRows().and(page.locator("[data-current]"));
    await expect(current).toContainText(/127\.0\.0\.1|::1/);
    await expect(page.getByText("198.51.100.77")).toHaveCount(0);
    await expect(page.getByText("198.51.100.78")).toHaveCount(0);
    await context.close();
  });
});

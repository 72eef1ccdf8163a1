import { expect, test, type Browser, type Page } from "@playwright/test";
import { Emulator } from "./emulator";
import { AccountPage } from "./pages/account-page";
import { LiveQrPage } from "./pages/live-qr-page";
import { LoginPage } from "./pages/login-page";
import { openWechatPhone } from "./pages/phone";

const OA_APPID = "wx8e0b5c61d2a3f4a0";

/** The phone opens the confirm link the Official Account sent and answers it. */
async function answerOnPhone(browser: Browser, link: string, user: string, answer: { pick: string } | "cancel"): Promise<Page> {
  const phone = await (await openWechatPhone(browser, user)).newPage();
  await phone.goto(link);
  await expect(phone.getByTestId("confirm-page")).toBeVisible();
  if (answer === "cancel") await phone.getByTestId("confirm-cancel").click();
  else await phone.getByTestId("confirm-choice").filter({ hasText: answer.pick }).click();
  await expect(phone.getByTestId("confirm-result")).toBeVisible();
  return phone;
}

test.describe("our own QR with a live status (follow-to-login)", () => {
  test.afterEach(async ({ request }) => {
    await new Emulator(request).reset();
  });

  test("waiting → scanned → confirmed → signed in; the same person as the website login", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    await expect(page.getByTestId("live-qr-status")).toContainText("请使用微信扫描二维码");
    const delivery = await emulator.oaScan(await live.qrUrl(), "lin", "new");
    expect(delivery.delivered).toBe(true);
    const link = delivery.reply?.links[0];
    expect(link).toContain("/login/confirm?t=");
    await live.expectStatus("scanned");
    const code = await live.matchCode();
    expect(code).toMatch(/^\d{2}$/);
    const phone = await answerOnPhone(browser, link!, "lin", { pick: code });
    await expect(phone.getByTestId("confirm-result")).toHaveAttribute("data-result", "confirmed");
    await expect(page).toHaveURL(/\/account$/);
    // 林晓 has a unionid: the Official Account identity joins the account of the website login (if any).
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${OA_APPID}"]`)).toHaveCount(1);
    await expect(page.getByTestId("unionid")).toHaveText(/^o[\w-]{27}$/);
  });

  test("an existing follower's SCAN completes the ticket too", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    const delivery = await emulator.oaScan(await live.qrUrl(), "zhang", "existing");
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "zhang", { pick: await live.matchCode() });
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${OA_APPID}"]`)).toHaveCount(1);
  });

  test("when WeChat's user/info fails at the confirm, the phone is asked again and the second pick signs in", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    const delivery = await emulator.oaScan(await live.qrUrl(), "chen", "existing");
    await live.expectStatus("scanned");
    const code = await live.matchCode();
    await emulator.fault({ endpoint: "cgi-bin/user/info", errcode: -1 });
    const phone = await (await openWechatPhone(browser, "chen")).newPage();
    await phone.goto(delivery.reply!.links[0]!);
    await phone.getByTestId("confirm-choice").filter({ hasText: code }).click();
    await expect(phone.getByTestId("confirm-retry")).toContainText("请再选一次");
    // Nothing changed: the computer still waits, and the same link asks again.
    await live.expectStatus("scanned");
    await phone.getByTestId("confirm-choice").filter({ hasText: code }).click();
    await expect(phone.getByTestId("confirm-result")).toHaveAttribute("data-result", "confirmed");
    await expect(page).toHaveURL(/\/account$/);
  });

  test("cancel on the phone shows cancelled and offers a fresh QR", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    const first = await live.ticketId();
    const delivery = await emulator.oaScan(await live.qrUrl(), "wang");
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "wang", "cancel");
    await live.expectStatus("cancelled");
    await expect(page.getByTestId("live-qr-overlay")).toContainText("已取消登录");
    // The sign-in reference support looks up in the console: this ticket's stored attempt.
    const ticket = (await (await page.request.get(`/api/login-tickets/${first}`)).json()) as { attemptId: string };
    expect(ticket.attemptId).toMatch(/^[\w-]{16}$/);
    await expect(page.getByTestId("live-qr-reference")).toHaveAttribute("data-attempt", ticket.attemptId);
    await expect(page.getByTestId("live-qr-reference")).toContainText(`登录编号：${ticket.attemptId}`);
    await page.getByTestId("live-qr-refresh").click();
    await live.expectStatus("waiting");
    await expect.poll(() => live.ticketId()).not.toBe(first);
  });

  test("expiry: the countdown ends, the QR turns into a refresh button, and the new QR signs in", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    await page.clock.install();
    const live = new LiveQrPage(page);
    await live.goto();
    await expect(page.getByTestId("live-qr-countdown")).toContainText("二维码有效期还剩");
    await page.clock.fastForward("05:01");
    await live.expectStatus("expired");
    await expect(page.getByTestId("live-qr-overlay")).toContainText("二维码已过期");
    await page.getByTestId("live-qr-refresh").click();
    await live.expectStatus("waiting");
    const delivery = await emulator.oaScan(await live.qrUrl(), "zhang", "existing");
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "zhang", { pick: await live.matchCode() });
    await expect(page).toHaveURL(/\/account$/);
  });

  test("hijacking: a victim who scans an attacker's QR cannot confirm it blindly", async ({ browser, request }) => {
    const emulator = new Emulator(request);
    const attacker = await browser.newContext();
    const attackerPage = await attacker.newPage();
    const live = new LiveQrPage(attackerPage);
    await live.goto();
    // The attacker sends the QR to the victim; the victim scans it and opens the link.
    const delivery = await emulator.oaScan(await live.qrUrl(), "li");
    await live.expectStatus("scanned");
    const code = await live.matchCode();
    const phone = await (await openWechatPhone(browser, "li")).newPage();
    await phone.goto(delivery.reply!.links[0]!);
    await expect(phone.getByTestId("confirm-page")).toContainText("如果这不是你本人正在电脑上操作");
    // The victim cannot see the attacker's screen: any number but the right one.
    const choices = await phone.getByTestId("confirm-choice").allTextContents();
    const wrong = choices.find((choice) => choice.trim() !== code)!;
    await phone.getByTestId("confirm-choice").filter({ hasText: wrong }).click();
    await expect(phone.getByTestId("confirm-result")).toHaveAttribute("data-result", "mismatch");
    await live.expectStatus("cancelled");
    // The link is dead now, and the attacker has no session.
    await phone.goto(delivery.reply!.links[0]!);
    await expect(phone.getByTestId("confirm-result")).toHaveAttribute("data-result", "invalid");
    await attackerPage.goto("/account");
    await expect(attackerPage).toHaveURL(/\/login/);
    await attacker.close();
  });

  test("two browsers race for one ticket: only the one that asked redeems it, once", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    // Hold this page's own redeem so the race can be staged.
    await page.route("**/api/login-tickets/*/redeem", (route) => route.abort());
    await live.goto();
    const id = await live.ticketId();
    const delivery = await emulator.oaScan(await live.qrUrl(), "chen");
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "chen", { pick: await live.matchCode() });
    await live.expectStatus("error");
    const other = await browser.newContext();
    const stolen = await other.request.post(`/api/login-tickets/${id}/redeem`, { headers: { origin: new URL(page.url()).origin } });
    expect(stolen.status()).toBe(404);
    expect((await other.request.get("/api/auth/session")).ok()).toBe(true);
    expect(await (await other.request.get("/api/auth/session")).json()).toBeNull();
    await other.close();
    await page.unroute("**/api/login-tickets/*/redeem");
    const [first, second] = await Promise.all([page.request.post(`/api/login-tickets/${id}/redeem`), page.request.post(`/api/login-tickets/${id}/redeem`)]);
    expect([first.status(), second.status()].sort()).toEqual([200, 409]);
    await page.goto("/account");
    await expect(page.locator(`[data-testid="identity-row"][data-appid="${OA_APPID}"]`)).toHaveCount(1);
  });

  test("where streams are cut, the page polls with backoff; it stops while hidden and resumes on return", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    // A proxy that kills event streams.
    await page.route("**/api/login-tickets/*/events", (route) => route.abort());
    // The page's own clock, so "a while hidden" is page time run on purpose rather than a sleep.
    await page.clock.install();
    // Each status poll, counted in the page as it goes out (a request event could arrive later), and
    // how many are still unanswered.
    await page.addInitScript(() => {
      const record = { sentAt: [] as number[], unanswered: 0 };
      Object.assign(window, { statusPolls: record });
      const send = window.fetch.bind(window);
      window.fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input), location.href);
        if ((init?.method ?? "GET") !== "GET" || !/^\/api\/login-tickets\/[^/]+$/.test(url.pathname)) return send(input, init);
        record.sentAt.push(Date.now());
        record.unanswered++;
        return send(input, init).finally(() => record.unanswered--);
      };
    });
    const statusPolls = () => page.evaluate(() => (window as unknown as { statusPolls: { sentAt: number[]; unanswered: number } }).statusPolls);
    const live = new LiveQrPage(page);
    await live.goto();
    await expect.poll(async () => (await statusPolls()).sentAt.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    const polls = (await statusPolls()).sentAt;
    const gaps = polls.slice(1).map((time, index) => time - polls[index]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.5);

    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    // The countdown ticks on while hidden, each tick a render of its own, and React runs the clean-ups
    // of a render's effects before it commits the next: two ticks on, polling has stopped.
    const countdown = page.getByTestId("live-qr-countdown");
    for (let tick = 0; tick < 2; tick++) await expect(countdown).not.toHaveText((await countdown.textContent())!);
    // A page still polling schedules its next poll when the last one is answered: wait for that.
    await expect.poll(async () => (await statusPolls()).unanswered).toBe(0);
    const whileHidden = (await statusPolls()).sentAt.length;
    // Twice the longest backoff (8 s) of page time: a poll still scheduled would go out in it.
    await page.clock.runFor(16_000);
    expect((await statusPolls()).sentAt.length).toBe(whileHidden);

    const delivery = await emulator.oaScan(await live.qrUrl(), "zhang", "existing");
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "zhang", { pick: await live.matchCode() });
    await expect(page).toHaveURL(/\/account$/);
  });

  test("a forged push (bad signature) and a replayed push change nothing", async ({ page, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    const id = await live.ticketId();
    // What the server holds for the ticket; the page only shows it. The app has answered a push by the
    // time oaScan returns, so a push it took would show here at once, with nothing to wait for.
    const ticketStatus = async () => ((await (await page.request.get(`/api/login-tickets/${id}`)).json()) as { status: string }).status;
    const forged = await emulator.oaScan(await live.qrUrl(), "lin", "new", { badSignature: true });
    expect(forged.delivered).toBe(false);
    expect(await ticketStatus()).toBe("waiting");
    await live.expectStatus("waiting");
    const real = await emulator.oaScan(await live.qrUrl(), "lin");
    expect(real.reply?.links).toHaveLength(1);
    await live.expectStatus("scanned");
    const replay = await emulator.oaReplayLast();
    // Acknowledged, but no second link and no change.
    expect(replay.reply?.links ?? []).toHaveLength(0);
    expect(await ticketStatus()).toBe("scanned");
    await live.expectStatus("scanned");
  });

  test("number matching: reloading the confirm page shows the same three numbers, so reloads do not reveal the answer", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    const live = new LiveQrPage(page);
    await live.goto();
    const delivery = await emulator.oaScan(await live.qrUrl(), "li", "new");
    await live.expectStatus("scanned");
    // The attacker forwarded the QR and holds the link, but not the screen with the number.
    const phone = await (await openWechatPhone(browser, "li")).newPage();
    const loads: string[][] = [];
    for (let i = 0; i < 3; i++) {
      await phone.goto(delivery.reply!.links[0]!);
      await expect(phone.getByTestId("confirm-choice")).toHaveCount(3);
      loads.push(await phone.getByTestId("confirm-choice").allTextContents());
    }
    expect(loads[1]).toEqual(loads[0]);
    expect(loads[2]).toEqual(loads[0]);
    const common = loads[0]!.filter((choice) => loads.every((load) => load.includes(choice)));
    expect(common).toHaveLength(3);
    expect(common).toContain(await live.matchCode());
  });

  test("after a follow-to-login the computer shows whose account it signed in to", async ({ page, browser, request }) => {
    const emulator = new Emulator(request);
    // 张伟 signed in on the website before, so the account has his nickname (followers share none).
    const earlier = await browser.newContext();
    const website = new LoginPage(await earlier.newPage());
    await website.goto({ qr: "website" });
    await emulator.confirm(await website.qrUuid(), "zhang");
    await new AccountPage(website.page).expectSignedInAs("张伟");
    await earlier.close();

    // The line shows just before the page moves on: record what the page drew, as it drew it.
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const shown = document.querySelector('[data-testid="live-qr-signed-in-as"]')?.textContent;
        if (shown) sessionStorage.setItem("signedInAs", shown);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const live = new LiveQrPage(page);
    await live.goto();
    const delivery = await emulator.oaScan(await live.qrUrl(), "zhang", "existing");
    await live.expectStatus("scanned");
    await answerOnPhone(browser, delivery.reply!.links[0]!, "zhang", { pick: await live.matchCode() });
    await new AccountPage(page).expectSignedInAs("张伟");
    expect(await page.evaluate(() => sessionStorage.getItem("signedInAs"))).toBe("已登录为 张伟");
  });
});

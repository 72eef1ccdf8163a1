/**
 * The real login page (login.js, config.js, i18n.js as shipped) under the wx shim, against the real
 * stack: `wx.login` codes from the emulator over HTTP, `wx.request` into the site's route handlers
 * on a real database. What the person on the phone sees is asserted from the page's data.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as createTicket } from "@/app/api/login-tickets/route";
import { POST as redeem } from "@/app/api/login-tickets/[id]/redeem/route";
import { POST as cancelRoute } from "@/app/api/miniprogram/cancel/route";
import { POST as confirmRoute } from "@/app/api/miniprogram/confirm/route";
import { POST as scanRoute } from "@/app/api/miniprogram/scan/route";
import { bindingCookieName, sessionCookieName } from "@/lib/auth/cookies";
import { db } from "@/lib/db/client";
import { DEMO_MINI_PROGRAMS } from "@/lib/env";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { routeRequest, setCookie } from "@/lib/test/requests";
import { createMiniProgram } from "../../testing/runtime.js";
import type { Wx, WxRequestOptions } from "../../testing/runtime.js";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997", env: { BIND_MODE: "optional", BIND_CHANNELS: "phone" } });

const API_ORIGIN = "https://login.example.com";
const APPID = DEMO_MINI_PROGRAMS.mp.appId;
const ROUTES: Record<string, typeof scanRoute> = {
  "/api/miniprogram/scan": scanRoute,
  "/api/miniprogram/confirm": confirmRoute,
  "/api/miniprogram/cancel": cancelRoute,
};

function source(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
}

const SOURCES = { "pages/login/login": source("pages/login/login.js"), config: source("config.js"), i18n: source("i18n.js") };

type PageData = {
  state: string;
  message: string;
  canRetry: boolean;
  site: string;
  device: { name: string; ip: string; time: string };
  choices: string[];
  picked: string;
  phoneOffer: boolean;
  phoneNote: string;
};

type PhoneOptions = { user?: string; language?: string; launchScene?: number; offline?: boolean };

/** The site's mini program on `user`'s phone; `requests` records what it sent. */
function openPhone(options: PhoneOptions = {}) {
  const user = options.user ?? "lin";
  const requests: { path: string; body: Record<string, unknown>; headers: Record<string, string> }[] = [];
  let logins = 0;
  let offline = options.offline ?? false;
  const renders: ((data: PageData) => void)[] = [];
  const wx: Wx = {
    login({ success, fail }) {
      logins += 1;
      emulator.control<{ code: string }>("mp/login", { appid: APPID, user }).then((answer) => success?.({ code: answer.code, errMsg: "login:ok" }), fail);
    },
    request(request: WxRequestOptions) {
      const url = new URL(request.url);
      const handler = ROUTES[url.pathname];
      expect(url.origin).toBe(API_ORIGIN);
      expect(handler).toBeDefined();
      requests.push({ path: url.pathname, body: request.data as Record<string, unknown>, headers: request.header ?? {} });
      if (offline) {
        setTimeout(() => request.fail?.({ errMsg: "request:fail timeout" }), 0);
        return;
      }
      // A mini program sends no cookies and no Origin; the phone's address and WeChat's user agent.
      const answer = handler!(
        routeRequest(url.pathname, {
          method: "POST",
          ip: "198.51.100.77",
          body: request.data,
          headers: { ...request.header, "user-agent": "WeChat MiniProgram" },
        }),
      );
      answer.then(async (response) => request.success?.({ statusCode: response.status, data: await response.json(), header: {} }));
    },
    getSystemInfoSync: () => ({ language: options.language ?? "zh_CN" }),
    getLaunchOptionsSync: () => ({ scene: options.launchScene ?? 1047, query: {} }),
  };
  const mp = createMiniProgram({
    sources: SOURCES,
    wx,
    onRender: (data) => {
      for (const listener of renders.slice()) listener(data as PageData);
    },
  });
  const view = () => mp.data() as PageData;
  /** Resolves with the data once the page is in one of `states`. */
  const until = (...states: string[]) =>
    new Promise<PageData>((resolve, reject) => {
      if (states.includes(view().state)) return resolve(view());
      const timer = setTimeout(() => reject(new Error(`page stayed ${view().state}, wanted ${states.join("|")}`)), 15_000);
      const listener = (data: PageData) => {
        if (!states.includes(data.state)) return;
        clearTimeout(timer);
        renders.splice(renders.indexOf(listener), 1);
        resolve(data);
      };
      renders.push(listener);
    });
  return {
    mp,
    view,
    until,
    requests,
    logins: () => logins,
    setOffline: (value: boolean) => {
      offline = value;
    },
    pick: (value: string) => mp.call("pick", { type: "tap", currentTarget: { dataset: { value } } }),
  };
}

/** A computer's browser asks for the mini-program code. */
async function computer() {
  const response = await createTicket(
    routeRequest("/api/login-tickets", { method: "POST", ip: "203.0.113.9", body: { surface: "mini_program", returnTo: "/account" } }),
  );
  expect(response.status).toBe(201);
  const binding = setCookie(response, bindingCookieName())!.value;
  const ticket = (await response.json()) as { id: string; matchCode: string };
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { binding, ticket, scene };
}

async function ticketStatus(id: string): Promise<string> {
  return (await (await db()).loginTicket.findUniqueOrThrow({ where: { id } })).status;
}

async function signedInUser(binding: string, id: string) {
  const response = await redeem(routeRequest(`/api/login-tickets/${id}/redeem`, { method: "POST", cookies: { [bindingCookieName()]: binding } }), {
    params: Promise.resolve({ id }),
  });
  expect(response.status).toBe(200);
  const session = setCookie(response, sessionCookieName())!.value;
  return (await db()).user.findFirstOrThrow({ where: { sessions: { some: { sessionToken: session } } } });
}

/** Every character percent-encoded: what decodeURIComponent must undo. */
function percentEncode(text: string): string {
  return [...text].map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

function wrongNumber(view: PageData, right: string): string {
  return view.choices.find((choice) => choice !== right)!;
}

describe.each(testDatabases())("the mini program's login page on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());

  it("shows the site, the computer and three numbers from a percent-encoded scene; the right number confirms the computer's ticket", async () => {
    const { ticket, scene } = await computer();
    const phone = openPhone();
    phone.mp.load({ scene: percentEncode(scene) });
    expect(phone.view().state).toBe("loading");
    const ready = await phone.until("ready", "error");
    expect(ready).toMatchObject({ state: "ready", site: "localhost:3997", device: { name: "Chrome · Windows", ip: "203.0.113.9" }, phoneOffer: true });
    expect(ready.device.time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(ready.choices).toHaveLength(3);
    expect(ready.choices).toContain(ticket.matchCode);
    expect(phone.requests[0]).toMatchObject({ path: "/api/miniprogram/scan", body: { scene }, headers: { "accept-language": "zh-CN" } });

    // Confirm does nothing before a number is picked.
    phone.mp.call("confirm");
    expect(phone.view().state).toBe("ready");
    phone.pick(ticket.matchCode);
    phone.mp.call("confirm");
    const confirmed = await phone.until("confirmed", "error");
    expect(confirmed).toMatchObject({ state: "confirmed", message: "已确认，请回到电脑继续", phoneNote: "" });
    expect(phone.requests[1]).toEqual({
      path: "/api/miniprogram/confirm",
      body: { token: expect.any(String), pick: ticket.matchCode },
      headers: expect.any(Object),
    });
    expect(await ticketStatus(ticket.id)).toBe("confirmed");
  });

  it("a URL Link's plain scene works the same", async () => {
    const { scene } = await computer();
    const phone = openPhone({ launchScene: 1194 });
    phone.mp.load({ scene });
    expect((await phone.until("ready", "error")).state).toBe("ready");
  });

  it("a wrong number says the numbers did not match, and the computer's sign-in is cancelled", async () => {
    const { ticket, scene } = await computer();
    const phone = openPhone();
    phone.mp.load({ scene });
    const ready = await phone.until("ready");
    phone.pick(wrongNumber(ready, ticket.matchCode));
    phone.mp.call("confirm");
    expect(await phone.until("mismatch", "error")).toMatchObject({ state: "mismatch", message: "数字不一致，已取消此次登录" });
    expect(await ticketStatus(ticket.id)).toBe("cancelled");
  });

  it("Cancel cancels", async () => {
    const { ticket, scene } = await computer();
    const phone = openPhone();
    phone.mp.load({ scene });
    await phone.until("ready");
    phone.mp.call("cancel");
    expect(await phone.until("cancelled", "error")).toMatchObject({ state: "cancelled", message: "已取消此次登录" });
    expect(phone.requests[1]).toMatchObject({ path: "/api/miniprogram/cancel", body: { token: expect.any(String) } });
    expect(await ticketStatus(ticket.id)).toBe("cancelled");
  });

  it("the phone button sends WeChat's phone code and the account gets the number", async () => {
    const { binding, ticket, scene } = await computer();
    const phone = openPhone({ user: "lin" });
    phone.mp.load({ scene });
    await phone.until("ready");
    phone.pick(ticket.matchCode);
    const { code } = await emulator.control<{ code: string }>("mp/phone-code", { appid: APPID, user: "lin" });
    phone.mp.call("onPhoneNumber", { type: "getphonenumber", detail: { errMsg: "getPhoneNumber:ok", code } });
    expect(await phone.until("confirmed", "error")).toMatchObject({ state: "confirmed", phoneNote: "手机号已绑定到你的帐号" });
    expect(phone.requests[1]!.body).toEqual({ token: expect.any(String), pick: ticket.matchCode, phoneCode: code });
    expect((await signedInUser(binding, ticket.id)).phone).toBe("+8613800138000");
  });

  it("refusing the phone sheet still confirms, without a phone", async () => {
    const { binding, ticket, scene } = await computer();
    const phone = openPhone({ user: "zhang" });
    phone.mp.load({ scene });
    await phone.until("ready");
    phone.pick(ticket.matchCode);
    phone.mp.call("onPhoneNumber", { type: "getphonenumber", detail: { errMsg: "getPhoneNumber:fail user deny" } });
    expect((await phone.until("confirmed", "error")).state).toBe("confirmed");
    expect(phone.requests[1]!.body).toEqual({ token: expect.any(String), pick: ticket.matchCode });
    expect((await signedInUser(binding, ticket.id)).phone).toBeNull();
  });

  it("shows the server's message in WeChat's language", async () => {
    const { scene } = await computer();
    const first = openPhone({ language: "en" });
    first.mp.load({ scene });
    await first.until("ready");
    // A second WeChat scanning the same code is turned away, in English.
    const second = openPhone({ user: "zhang", language: "en" });
    second.mp.load({ scene });
    const refused = await second.until("error");
    expect(refused.canRetry).toBe(false);
    expect(refused.message).toMatch(/[A-Za-z]/);
    expect(refused.message).not.toMatch(/[\u4e00-\u9fff]/);
    expect(second.requests[0]!.headers["accept-language"]).toBe("en");
  });

  it("a network failure offers Retry, which scans again with a fresh wx.login code", async () => {
    const { scene } = await computer();
    const phone = openPhone({ offline: true });
    phone.mp.load({ scene });
    expect(await phone.until("error")).toMatchObject({ message: "网络异常，请重试", canRetry: true });
    phone.setOffline(false);
    phone.mp.call("retry");
    expect((await phone.until("ready", "error")).state).toBe("ready");
    expect(phone.logins()).toBe(2);
    expect(phone.requests[0]!.body.code).not.toBe(phone.requests[1]!.body.code);
  });

  it("single-page mode (scene 1154) is refused without wx.login", () => {
    const phone = openPhone({ launchScene: 1154 });
    phone.mp.load({ scene: "anything" });
    expect(phone.view()).toMatchObject({ state: "error", canRetry: false, message: expect.stringContaining("朋友圈") });
    expect(phone.logins()).toBe(0);
    expect(phone.requests).toHaveLength(0);
  });

  it("a missing scene is an error, in English when WeChat runs in English", () => {
    const phone = openPhone({ language: "en" });
    phone.mp.load({});
    expect(phone.view()).toMatchObject({ state: "error", message: "No sign-in request found. Scan the code on the computer again." });
    expect(phone.logins()).toBe(0);
  });
});

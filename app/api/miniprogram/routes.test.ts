/**
 * The mini-program sign-in end to end below the browser, on both databases: the computer's
 * ticket and code (POST /api/login-tickets), the mini program's scan, confirm and cancel
 * (/api/miniprogram/*) with real `wx.login` codes from the emulator over HTTP, the redeem, and the
 * same-phone URL Link. What the attacker and the person see is asserted, not internals.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as createTicket } from "@/app/api/login-tickets/route";
import { POST as redeem } from "@/app/api/login-tickets/[id]/redeem/route";
import { POST as urlLink } from "@/app/api/login-tickets/[id]/url-link/route";
import { POST as cancel } from "@/app/api/miniprogram/cancel/route";
import { OPTIONS as scanPreflight, POST as scan } from "@/app/api/miniprogram/scan/route";
import { POST as confirm } from "@/app/api/miniprogram/confirm/route";
import { openidFor, unionidFor } from "@/emulator/config";
import { bindingCookieName, sessionCookieName } from "@/lib/auth/cookies";
import { db } from "@/lib/db/client";
import { DEMO_MINI_PROGRAMS } from "@/lib/env";
import { confirmTicket, getConfirmView } from "@/lib/login/follow-to-login";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { routeRequest, setCookie } from "@/lib/test/requests";

const emulator = useTestEmulator({ callbackDomain: "localhost:3997", env: { BIND_MODE: "optional", BIND_CHANNELS: "phone" } });

type Ticket = { id: string; status: string; surface: string; matchCode: string; qrImage: string };
type PhoneView = { token: string; site: string; device: { name: string | null; ip: string | null; time: string }; choices: string[]; phoneOffer: boolean };

/** A computer's browser asks for the mini-program code. */
async function computer(mp?: string) {
  const response = await createTicket(
    routeRequest("/api/login-tickets", { method: "POST", ip: "203.0.113.9", body: { surface: "mini_program", returnTo: "/account", ...(mp ? { mp } : {}) } }),
  );
  expect(response.status).toBe(201);
  const binding = setCookie(response, bindingCookieName())!.value;
  const ticket = (await response.json()) as Ticket;
  const { scene } = await (await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } });
  return { binding, ticket, scene };
}

/** What wx.login gives `user` in the mini program `appid`. */
async function wxLogin(user: string, appid: string = DEMO_MINI_PROGRAMS.mp.appId): Promise<string> {
  return (await emulator.control<{ code: string }>("mp/login", { appid, user })).code;
}

async function phonePost(handler: typeof scan, path: string, body: unknown, headers: Record<string, string> = {}) {
  // A mini program sends no cookies and no Origin.
  const response = await handler(
    routeRequest(path, { method: "POST", ip: "198.51.100.77", body, headers: { "user-agent": "WeChat MiniProgram", ...headers } }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function scanAs(user: string, scene: string, appid?: string) {
  return phonePost(scan, "/api/miniprogram/scan", { scene, code: await wxLogin(user, appid) });
}

async function redeemAs(binding: string, id: string) {
  const response = await redeem(routeRequest(`/api/login-tickets/${id}/redeem`, { method: "POST", cookies: { [bindingCookieName()]: binding } }), {
    params: Promise.resolve({ id }),
  });
  return { status: response.status, session: setCookie(response, sessionCookieName())?.value, body: (await response.json()) as Record<string, unknown> };
}

describe.each(testDatabases())("mini-program sign-in on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(() => emulator.reset());

  it("draws the code with WeChat (PNG sniffed despite the image/jpeg label) and hands a reload the same code", async () => {
    const { binding, ticket } = await computer();
    expect(ticket).toMatchObject({ surface: "mini_program", status: "waiting" });
    expect(ticket.qrImage).toMatch(/^data:image\/png;base64,/);
    expect(Buffer.from(ticket.qrImage.split(",")[1]!, "base64").subarray(0, 4).toString("hex")).toBe("89504e47");
    const again = await createTicket(
      routeRequest("/api/login-tickets", {
        method: "POST",
        cookies: { [bindingCookieName()]: binding },
        body: { surface: "mini_program", returnTo: "/account" },
      }),
    );
    expect(((await again.json()) as Ticket).id).toBe(ticket.id);
    expect((await emulator.stats())["wxa/getwxacodeunlimit"]).toBe(1);
  });

  it("scan → the computer's device and three numbers; the right number confirms; only the binding browser redeems, once", async () => {
    const { binding, ticket, scene } = await computer();
    const scanned = await scanAs("lin", scene, undefined);
    expect(scanned.status).toBe(200);
    const view = scanned.body as PhoneView;
    expect(view.site).toBe("localhost:3997");
    expect(view.device).toMatchObject({ name: "Chrome · Windows", ip: "203.0.113.9" });
    expect(view.choices).toHaveLength(3);
    expect(view.choices).toContain(ticket.matchCode);
    expect(view.phoneOffer).toBe(true);
    expect(JSON.stringify(view)).not.toContain(openidFor(DEMO_MINI_PROGRAMS.mp.appId, "lin"));

    const confirmed = await phonePost(confirm, "/api/miniprogram/confirm", { token: view.token, pick: ticket.matchCode });
    expect(confirmed).toMatchObject({ status: 200, body: { status: "confirmed" } });
    // Someone else's browser holding the ticket id gets nothing.
    expect((await redeemAs("x".repeat(43), ticket.id)).status).toBe(404);
    const signedIn = await redeemAs(binding, ticket.id);
    expect(signedIn.status).toBe(200);
    expect(signedIn.session).toBeDefined();
    expect((await redeemAs(binding, ticket.id)).status).toBe(409);

    const prisma = await db();
    const user = await prisma.user.findFirstOrThrow({
      where: { sessions: { some: { sessionToken: signedIn.session! } } },
      include: { wechatIdentities: true },
    });
    expect(user.unionid).toBe(unionidFor("demo", "lin"));
    expect(user.wechatIdentities.map((identity) => identity.appId)).toEqual([DEMO_MINI_PROGRAMS.mp.appId]);
    const session = await prisma.session.findUniqueOrThrow({ where: { sessionToken: signedIn.session! } });
    expect(session.method).toBe("wechat:mini-program");
  });

  it("a mini program without an Open Platform binding gives no unionid: its person stays apart", async () => {
    const first = await computer();
    const view = (await scanAs("zhang", first.scene)).body as PhoneView;
    await phonePost(confirm, "/api/miniprogram/confirm", { token: view.token, pick: first.ticket.matchCode });
    const bound = await redeemAs(first.binding, first.ticket.id);

    const solo = await computer("mp-solo");
    const soloView = (await scanAs("zhang", solo.scene, DEMO_MINI_PROGRAMS.mpSolo.appId)).body as PhoneView;
    await phonePost(confirm, "/api/miniprogram/confirm", { token: soloView.token, pick: solo.ticket.matchCode });
    const apart = await redeemAs(solo.binding, solo.ticket.id);

    const prisma = await db();
    const users = await Promise.all(
      [bound.session!, apart.session!].map((token) => prisma.user.findFirstOrThrow({ where: { sessions: { some: { sessionToken: token } } } })),
    );
    expect(users[0]!.id).not.toBe(users[1]!.id);
    expect(users[1]!.unionid).toBeNull();
  });

  it("the one-tap phone binds a WeChat-verified number before the computer is told; a number another account holds moves, that account is not entered", async () => {
    const prisma = await db();
    const owner = await prisma.user.create({ data: { name: "owner", phone: "+8613700137000", phoneVerified: new Date() } });
    const { binding, ticket, scene } = await computer();
    const view = (await scanAs("wang", scene)).body as PhoneView;
    expect(view.phoneOffer).toBe(true);
    const phoneCode = (await emulator.control<{ code: string }>("mp/phone-code", { appid: DEMO_MINI_PROGRAMS.mp.appId, user: "wang" })).code;
    const confirmed = await phonePost(confirm, "/api/miniprogram/confirm", { token: view.token, pick: ticket.matchCode, phoneCode });
    expect(confirmed.body).toEqual({ status: "confirmed", phone: "moved" });
    const signedIn = await redeemAs(binding, ticket.id);
    const user = await prisma.user.findFirstOrThrow({ where: { sessions: { some: { sessionToken: signedIn.session! } } } });
    expect(user.id).not.toBe(owner.id);
    expect(user.phone).toBe("+8613700137000");
    expect((await prisma.user.findUniqueOrThrow({ where: { id: owner.id } })).phone).toBeNull();
    // The computer lands where a bound account lands, not on /bind.
    expect(signedIn.body.returnTo).toBe("/account");
  });

  it("a refused phone or a bad phone code still confirms without a phone (the computer falls back to SMS binding)", async () => {
    const { binding, ticket, scene } = await computer();
    const view = (await scanAs("chen", scene)).body as PhoneView;
    const confirmed = await phonePost(confirm, "/api/miniprogram/confirm", { token: view.token, pick: ticket.matchCode, phoneCode: "0".repeat(64) });
    expect(confirmed.body).toEqual({ status: "confirmed", phone: "failed" });
    const signedIn = await redeemAs(binding, ticket.id);
    expect(signedIn.body.returnTo).toMatch(/^\/bind/);
  });

  it("hijacking: a wrong number cancels for good, a second WeChat is turned away, and a cancelled code cannot be confirmed", async () => {
    const { binding, ticket, scene } = await computer();
    const victim = (await scanAs("li", scene)).body as PhoneView;
    const attacker = await scanAs("zhang", scene);
    expect(attacker).toMatchObject({ status: 409, body: { error: "already_scanned" } });
    const wrong = ticket.matchCode === "10" ? "11" : "10";
    expect((await phonePost(confirm, "/api/miniprogram/confirm", { token: victim.token, pick: wrong })).body).toEqual({ status: "cancelled" });
    expect((await phonePost(confirm, "/api/miniprogram/confirm", { token: victim.token, pick: ticket.matchCode })).status).toBe(409);
    expect((await redeemAs(binding, ticket.id)).status).toBe(409);

    const second = await computer();
    const view = (await scanAs("li", second.scene)).body as PhoneView;
    expect((await phonePost(cancel, "/api/miniprogram/cancel", { token: view.token })).body).toEqual({ status: "cancelled" });
    const after = await phonePost(confirm, "/api/miniprogram/confirm", { token: view.token, pick: second.ticket.matchCode }, { "accept-language": "en" });
    // The cancel spent the phone's token: the phone is told the code is no longer valid.
    expect(after).toMatchObject({
      status: 404,
      body: { error: "not_found", message: "This code is not valid any more. Refresh it on the computer and scan again." },
    });
  });

  it("refuses bad input, unknown scenes and WeChat's refusals with a localized message and nothing written", async () => {
    const prisma = await db();
    const identitiesBefore = await prisma.wechatIdentity.count();
    expect(await phonePost(scan, "/api/miniprogram/scan", { scene: "x" })).toMatchObject({
      status: 400,
      body: { error: "invalid_request", message: "请求格式有误。" },
    });
    expect(await phonePost(scan, "/api/miniprogram/scan", { scene: "A".repeat(32), code: await wxLogin("lin") })).toMatchObject({
      status: 404,
      body: { error: "not_found" },
    });
    const { scene } = await computer();
    // A code for another mini program (40029), and a code used twice (40163).
    const foreign = await phonePost(scan, "/api/miniprogram/scan", { scene, code: await wxLogin("lin", DEMO_MINI_PROGRAMS.mpSolo.appId) });
    expect(foreign).toMatchObject({ status: 502, body: { error: "40029" } });
    expect(foreign.body.message).toEqual(expect.any(String));
    const code = await wxLogin("lin");
    expect((await phonePost(scan, "/api/miniprogram/scan", { scene, code })).status).toBe(200);
    expect(await phonePost(scan, "/api/miniprogram/scan", { scene, code })).toMatchObject({ status: 502, body: { error: "40163" } });
    expect(await prisma.wechatIdentity.count()).toBe(identitiesBefore);
  });

  it("same phone: the browser that holds the ticket gets a URL Link (kept, not regenerated); a personal mini program's 40002 says so", async () => {
    const { binding, ticket } = await computer();
    const ask = (id: string, cookie: string) =>
      urlLink(routeRequest(`/api/login-tickets/${id}/url-link`, { method: "POST", cookies: { [bindingCookieName()]: cookie } }), {
        params: Promise.resolve({ id }),
      });
    const first = await ask(ticket.id, binding);
    expect(first.status).toBe(200);
    const { urlLink: link } = (await first.json()) as { urlLink: string };
    expect(link).toMatch(/\/wxaurl\//);
    expect(((await (await ask(ticket.id, binding)).json()) as { urlLink: string }).urlLink).toBe(link);
    expect((await emulator.stats())["wxa/generate_urllink"]).toBe(1);
    expect((await ask(ticket.id, "y".repeat(43))).status).toBe(404);

    const personal = await computer("mp-personal");
    const refused = await ask(personal.ticket.id, personal.binding);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: "url_link_unavailable", message: expect.stringContaining("另一台设备") });
  });

  it("a mini program's token is no confirm link for the Official Account's confirm page", async () => {
    const { ticket, scene } = await computer();
    const view = (await scanAs("lin", scene)).body as PhoneView;
    await expect(getConfirmView(view.token)).rejects.toMatchObject({ code: "not_found" });
    await expect(confirmTicket(view.token, ticket.matchCode)).rejects.toMatchObject({ code: "not_found" });
    await expect((await db()).loginTicket.findUniqueOrThrow({ where: { id: ticket.id } })).resolves.toMatchObject({ status: "scanned" });
  });

  it("answers the emulator's phone page with CORS, and no other origin", async () => {
    const allowed = scanPreflight(routeRequest("/api/miniprogram/scan", { method: "OPTIONS", headers: { origin: emulator.url } }));
    expect(allowed.headers.get("access-control-allow-origin")).toBe(emulator.url);
    const other = scanPreflight(routeRequest("/api/miniprogram/scan", { method: "OPTIONS", headers: { origin: "https://evil.example" } }));
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

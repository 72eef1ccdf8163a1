/**
 * The mini-program client against the emulator over HTTP: the 小程序码 image (PNG under an
 * image/jpeg label), the wx.login code exchange with and without unionid, the phone number and URL
 * Links, each errcode as a WechatApiError, and the mini program's own app token, cached and shared.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openidFor, unionidFor } from "@/emulator/config";
import { DEMO_MINI_PROGRAM_LOGIN_PAGE, DEMO_MINI_PROGRAMS } from "@/lib/demo-apps";
import { db } from "@/lib/db/client";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { WechatApiError, WechatTransportError } from "./api-client";
import { createMiniProgramCode, createUrlLink, exchangeLoginCode, getPhoneNumber } from "./mini-program";
import { createTempQr } from "./official-account";

const { mp: MP, mpSolo: MP_SOLO, mpPersonal: MP_PERSONAL, mpUnreleased: MP_UNRELEASED } = DEMO_MINI_PROGRAMS;
const PAGE = DEMO_MINI_PROGRAM_LOGIN_PAGE;
const emulator = useTestEmulator({ callbackDomain: "localhost:3998" });

async function wxLogin(app: { appId: string }, user = "lin"): Promise<string> {
  return (await emulator.control<{ code: string }>("mp/login", { appid: app.appId, user })).code;
}

async function phoneButton(app: { appId: string }, user = "lin"): Promise<string> {
  return (await emulator.control<{ code: string }>("mp/phone-code", { appid: app.appId, user })).code;
}

const codeOptions = { scene: "t=5f1c9a2e", page: PAGE, checkPath: true, envVersion: "release" } as const;

describe.each(testDatabases())("the mini-program client on $name", (database) => {
  beforeAll(() => database.setUp());
  afterAll(() => database.tearDown());
  beforeEach(async () => {
    await emulator.reset();
    await (await db()).appAccessToken.deleteMany();
  });

  it("returns the code image as PNG, sniffed despite WeChat's image/jpeg label", async () => {
    const code = await createMiniProgramCode(MP, { ...codeOptions, width: 280 });
    expect(code.contentType).toBe("image/png");
    expect([...code.bytes.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it("throws WechatApiError for each refusal of the code endpoint", async () => {
    await expect(createMiniProgramCode(MP, { ...codeOptions, scene: "a".repeat(33) })).rejects.toMatchObject({ errcode: 40169, code: "40169" });
    await expect(createMiniProgramCode(MP, { ...codeOptions, scene: "登录" })).rejects.toMatchObject({ errcode: 40129 });
    await expect(createMiniProgramCode(MP, { ...codeOptions, page: "pages/other/other" })).rejects.toMatchObject({ errcode: 41030 });
    await expect(createMiniProgramCode(MP_UNRELEASED, codeOptions)).rejects.toMatchObject({ errcode: 41030 });
    await expect(createMiniProgramCode(MP_UNRELEASED, { ...codeOptions, checkPath: false, envVersion: "trial" })).resolves.toMatchObject({
      contentType: "image/png",
    });
    await emulator.control("settings", { mpCodePerMinute: 1 });
    await expect(createMiniProgramCode(MP, codeOptions)).rejects.toBeInstanceOf(WechatApiError);
  });

  it("treats a JSON body or a body that is neither image nor JSON as no image", async () => {
    await emulator.control("faults", { endpoint: "wxa/getwxacodeunlimit", malformed: true });
    await expect(createMiniProgramCode(MP, codeOptions)).rejects.toMatchObject({ kind: "malformed" });
    await emulator.control("faults", { endpoint: "wxa/getwxacodeunlimit", status: 502 });
    await expect(createMiniProgramCode(MP, codeOptions)).rejects.toBeInstanceOf(WechatTransportError);
  });

  it("exchanges a wx.login code for the openid and, from a bound mini program, the unionid; never the session_key", async () => {
    const bound = await exchangeLoginCode(MP, await wxLogin(MP));
    expect(bound).toEqual({ openid: openidFor(MP.appId, "lin"), unionid: unionidFor("demo", "lin") });
    const solo = await exchangeLoginCode(MP_SOLO, await wxLogin(MP_SOLO));
    expect(solo).toEqual({ openid: openidFor(MP_SOLO.appId, "lin") });
  });

  it("throws 40163 for a reused login code and 40029 for another app's", async () => {
    const code = await wxLogin(MP);
    await exchangeLoginCode(MP, code);
    await expect(exchangeLoginCode(MP, code)).rejects.toMatchObject({ errcode: 40163 });
    await expect(exchangeLoginCode(MP, await wxLogin(MP_SOLO))).rejects.toMatchObject({ errcode: 40029 });
  });

  it("reads the phone number of the button's code, and refuses the code a second time", async () => {
    const code = await phoneButton(MP);
    expect(await getPhoneNumber(MP, code, openidFor(MP.appId, "lin"))).toEqual({
      phoneNumber: "13800138000",
      purePhoneNumber: "13800138000",
      countryCode: "86",
    });
    await expect(getPhoneNumber(MP, code)).rejects.toMatchObject({ errcode: 40029 });
    await expect(getPhoneNumber(MP, await wxLogin(MP))).rejects.toMatchObject({ errcode: 40029 });
  });

  it("creates a URL Link, and throws 40002 for a personal-subject mini program", async () => {
    const link = await createUrlLink(MP, { path: PAGE, query: "t=abc", expireIntervalDays: 1, envVersion: "release" });
    expect(link).toMatch(new RegExp(`^${emulator.url}/wxaurl/[A-Za-z0-9]+$`));
    await expect(createUrlLink(MP_PERSONAL, { path: PAGE, query: "t=abc", expireIntervalDays: 1, envVersion: "release" })).rejects.toMatchObject({
      errcode: 40002,
    });
    await expect(createUrlLink(MP, { path: PAGE, query: "t=abc", expireIntervalDays: 31, envVersion: "release" })).rejects.toMatchObject({ errcode: 85401 });
  });

  it("fetches the mini program's token once for several calls, apart from the Official Account's", async () => {
    await createMiniProgramCode(MP, codeOptions);
    await createMiniProgramCode(MP, codeOptions);
    await getPhoneNumber(MP, await phoneButton(MP));
    await createUrlLink(MP, { path: PAGE, query: "", expireIntervalDays: 30, envVersion: "release" });
    expect((await emulator.stats())["cgi-bin/stable_token"]).toBe(1);
    await createTempQr("login_after_mp", 300);
    expect((await emulator.stats())["cgi-bin/stable_token"]).toBe(2);
    const rows = await (await db()).appAccessToken.findMany({ select: { appId: true } });
    expect(rows.map((row) => row.appId).sort()).toEqual([DEMO_MINI_PROGRAMS.mp.appId, "wx8e0b5c61d2a3f4a0"].sort());
  });

  it("fetches a new token and retries once when WeChat says the token went bad", async () => {
    await createMiniProgramCode(MP, codeOptions);
    await emulator.control("faults", { endpoint: "wxa/getwxacodeunlimit", errcode: 40001 });
    await expect(createMiniProgramCode(MP, codeOptions)).resolves.toMatchObject({ contentType: "image/png" });
    expect((await emulator.stats())["cgi-bin/stable_token"]).toBe(2);
  });
});

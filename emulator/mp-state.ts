import { randomBytes, randomInt } from "node:crypto";
import { setCapped } from "./capped";

/** The mini-program endpoints of api.weixin.qq.com the emulator serves; also their fault and stats names. */
export const MP_ENDPOINTS = ["wxa/getwxacodeunlimit", "sns/jscode2session", "wxa/business/getuserphonenumber", "wxa/generate_urllink"] as const;

export type MpEndpoint = (typeof MP_ENDPOINTS)[number];

export type EnvVersion = "release" | "trial" | "develop";

/** `wx.login()` codes and phone-button codes alike: one user in one mini program, 300 s, single use. */
export type MpUserCode = { code: string; appid: string; userId: string; issuedAt: number; used: boolean };

/** A 小程序码 handed out by getwxacodeunlimit. The image is permanent, so nothing expires here. */
export type MpCode = { id: string; appid: string; scene: string; page: string; envVersion: EnvVersion; width: number; createdAt: number };

/** A URL Link (`https://wxaurl.cn/<ticket>`, here `<publicUrl>/wxaurl/<ticket>`). */
export type MpUrlLink = { ticket: string; appid: string; path: string; query: string; envVersion: EnvVersion; createdAt: number; expiresAt: number };

/** wx.login codes and phone codes live 5 minutes (docs/wechat-protocol.md §H10). */
export const MP_USER_CODE_TTL_SECONDS = 300;
/** jscode2session: "每个用户每分钟100次". */
export const JSCODE2SESSION_PER_USER_MINUTE = 100;
/** getwxacodeunlimit: 5000 calls per minute per mini program (the `mpCodePerMinute` setting). */
export const DEFAULT_MP_CODE_PER_MINUTE = 5000;
/** URL Links: at most 30 days since 2022-04-11. */
export const MAX_URL_LINK_DAYS = 30;

const MAX_USER_CODES = 100_000;
const MAX_MP_CODES = 10_000;
const MAX_URL_LINKS = 10_000;
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomAlphanumeric(length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

/** A counter per key that starts over every calendar minute of the emulator clock. */
class MinuteCounter {
  private readonly counts = new Map<string, { minute: number; count: number }>();

  /** Counts one call and returns the number of calls of `key` in the current minute, this one included. */
  hit(key: string, now: number): number {
    const minute = Math.floor(now / 60_000);
    const entry = this.counts.get(key);
    const count = entry?.minute === minute ? entry.count + 1 : 1;
    setCapped(this.counts, key, { minute, count }, MAX_USER_CODES);
    return count;
  }

  clear(): void {
    this.counts.clear();
  }
}

/** The mini-program side of the emulator's memory: login and phone codes, issued 小程序码, URL Links, quotas. */
export class MpStore {
  readonly loginCodes = new Map<string, MpUserCode>();
  readonly phoneCodes = new Map<string, MpUserCode>();
  readonly codes = new Map<string, MpCode>();
  readonly urlLinks = new Map<string, MpUrlLink>();
  readonly codeCalls = new MinuteCounter();
  readonly sessionCalls = new MinuteCounter();
  private nextCodeId = 1;

  clear(): void {
    this.loginCodes.clear();
    this.phoneCodes.clear();
    this.codes.clear();
    this.urlLinks.clear();
    this.codeCalls.clear();
    this.sessionCalls.clear();
    this.nextCodeId = 1;
  }

  /** What `wx.login()` returns: 32 alphanumerics (the observed shape). */
  issueLoginCode(appid: string, userId: string, now: number): MpUserCode {
    const record: MpUserCode = { code: randomAlphanumeric(32), appid, userId, issuedAt: now, used: false };
    setCapped(this.loginCodes, record.code, record, MAX_USER_CODES);
    return record;
  }

  /** What the phone button's `e.detail.code` carries: 64 hex digits (the observed shape). */
  issuePhoneCode(appid: string, userId: string, now: number): MpUserCode {
    const record: MpUserCode = { code: randomBytes(32).toString("hex"), appid, userId, issuedAt: now, used: false };
    setCapped(this.phoneCodes, record.code, record, MAX_USER_CODES);
    return record;
  }

  recordCode(input: Omit<MpCode, "id">): MpCode {
    const code: MpCode = { ...input, id: String(this.nextCodeId++) };
    setCapped(this.codes, code.id, code, MAX_MP_CODES);
    return code;
  }

  /** Issued codes, newest first. */
  listCodes(): MpCode[] {
    return [...this.codes.values()].reverse();
  }

  createUrlLink(input: Omit<MpUrlLink, "ticket">): MpUrlLink {
    const link: MpUrlLink = { ...input, ticket: randomAlphanumeric(14) };
    setCapped(this.urlLinks, link.ticket, link, MAX_URL_LINKS);
    return link;
  }
}

/** Whether a wx.login or phone code is past its 300 s. */
export function isUserCodeExpired(record: MpUserCode, now: number): boolean {
  return now - record.issuedAt > MP_USER_CODE_TTL_SECONDS * 1000;
}

import { randomBytes, randomInt } from "node:crypto";
import { APP_TOKEN_GRACE_SECONDS, APP_TOKEN_TTL_SECONDS } from "./config";
import type { OaPushMode, WechatApp } from "./config";
import { setCapped } from "./capped";
import type { MpEndpoint } from "./mp-state";

export const CGI_ENDPOINTS = [
  "cgi-bin/token",
  "cgi-bin/stable_token",
  "cgi-bin/qrcode/create",
  "cgi-bin/user/info",
  "cgi-bin/openapi/quota/get",
  "cgi-bin/openapi/rid/get",
] as const;

export type CgiEndpoint = (typeof CGI_ENDPOINTS)[number];

/** `/cgi-bin/token` and `/cgi-bin/stable_token` hand out isolated tokens: fetching one never touches the other. */
export type AppTokenFamily = "token" | "stable_token";

export type AppTokenRecord = {
  token: string;
  appid: string;
  family: AppTokenFamily;
  issuedAt: number;
  expiresAt: number;
  /** When a newer token cut this one short; after that it answers 40001 ("not latest"), not 42001. */
  replacedAt?: number;
};

export type AppTokenCheck = { ok: true; record: AppTokenRecord } | { ok: false; errcode: number };

export type StableTokenResult = { ok: true; record: AppTokenRecord } | { ok: false; errcode: number };

export type OaQrActionName = "QR_SCENE" | "QR_STR_SCENE" | "QR_LIMIT_SCENE" | "QR_LIMIT_STR_SCENE";

export type OaQrCode = {
  ticket: string;
  /** The last path segment of `url` (`http://weixin.qq.com/q/<urlId>`). */
  urlId: string;
  url: string;
  appid: string;
  actionName: OaQrActionName;
  sceneId?: number;
  sceneStr?: string;
  createdAt: number;
  /** Undefined for permanent codes. */
  expiresAt?: number;
  expireSeconds?: number;
  /** The request had no expire_seconds, so WeChat's undocumented default applied. */
  expireSecondsOmitted: boolean;
  /** The request had no `action_info.scene` wrapper: WeChat then pushes scene 0 (a real pitfall). */
  sceneOmitted: boolean;
};

export type SubscribeScene = "ADD_SCENE_QR_CODE" | "ADD_SCENE_OTHERS";

export type Follower = {
  userId: string;
  subscribeTime: number;
  subscribeScene: SubscribeScene;
  qrScene: number;
  qrSceneStr: string;
};

/** A consent sheet on screen, waiting for 允许 / 拒绝. */
export type PendingConsent = {
  id: string;
  appid: string;
  userId: string;
  redirectUri: string;
  state: string;
  createdAt: number;
};

/** The exact request of the latest push attempt, for `POST /_emulator/oa/replay-last`. */
export type LastPush = { url: string; body: string; openid: string; mode: OaPushMode };

export type PushStats = { sent: number; failed: number; retries: number };

export type CallStats = Record<CgiEndpoint | MpEndpoint, number> & { pushes: PushStats };

const MAX_APP_TOKENS = 100_000;
const MAX_QR_CODES = 100_000;
const MAX_CONSENTS = 10_000;
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_GAP_MS = 30_000;
const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const URL_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `<digits>_<base64url>`, 139 chars: app tokens are longer than sns ones in real traffic. */
function createAppToken(): string {
  return `${randomInt(80, 100)}_${randomBytes(102).toString("base64url")}`;
}

function createUrlId(): string {
  let id = "02";
  for (let i = 0; i < 22; i++) id += URL_ID_ALPHABET[randomInt(URL_ID_ALPHABET.length)];
  return id;
}

/**
 * An opaque ticket in the shape of WeChat's (`gQ…==`): standard base64 that always contains `+`, `/` and `=`,
 * so a client that forgets to URL-encode it for showqrcode gets the 404 it would get from WeChat.
 */
function createTicket(urlId: string, createdAt: number, expireSeconds: number): string {
  const times = Buffer.alloc(8);
  times.writeUInt32LE(Math.floor(createdAt / 1000));
  times.writeUInt32LE(expireSeconds, 4);
  // 0xfb 0xef 0xff at a 3-byte boundary encode as "++//"; 67 bytes in all leave "==" padding.
  const body = Buffer.concat([Buffer.from([0x81, 0x07, 0x3e, 0xfb, 0xef, 0xff]), times, Buffer.from(urlId, "ascii"), randomBytes(29)]);
  return body.toString("base64");
}

function beijingDay(ms: number): number {
  return Math.floor((ms + BEIJING_OFFSET_MS) / 86_400_000);
}

function emptyStats(): CallStats {
  return {
    "cgi-bin/token": 0,
    "cgi-bin/stable_token": 0,
    "cgi-bin/qrcode/create": 0,
    "cgi-bin/user/info": 0,
    "cgi-bin/openapi/quota/get": 0,
    "cgi-bin/openapi/rid/get": 0,
    "wxa/getwxacodeunlimit": 0,
    "sns/jscode2session": 0,
    "wxa/business/getuserphonenumber": 0,
    "wxa/generate_urllink": 0,
    pushes: { sent: 0, failed: 0, retries: 0 },
  };
}

/**
 * The Official Account side of the emulator's memory: app tokens, parametric QR codes, followers, userinfo
 * grants, open consent sheets, call counters and the last push. Methods take the emulator clock's `now`.
 */
export class OaStore {
  readonly appTokens = new Map<string, AppTokenRecord>();
  readonly qrCodes = new Map<string, OaQrCode>();
  readonly consents = new Map<string, PendingConsent>();
  lastPush: LastPush | undefined;
  stats: CallStats = emptyStats();
  private readonly ticketByUrlId = new Map<string, string>();
  private readonly latestToken = new Map<string, string>();
  private readonly forceRefreshes = new Map<string, number[]>();
  private readonly followers = new Map<string, Map<string, Follower>>();
  private readonly grants = new Set<string>();

  clear(): void {
    this.appTokens.clear();
    this.qrCodes.clear();
    this.consents.clear();
    this.ticketByUrlId.clear();
    this.latestToken.clear();
    this.forceRefreshes.clear();
    this.followers.clear();
    this.grants.clear();
    this.lastPush = undefined;
    this.stats = emptyStats();
  }

  countCall(endpoint: CgiEndpoint | MpEndpoint): void {
    this.stats[endpoint] += 1;
  }

  /**
   * `/cgi-bin/token`: every call mints a new token; tokens it replaces keep working 5 more minutes.
   * @see https://developers.weixin.qq.com/doc/service/en/Basic_Information/Get_access_token.html
   */
  issueToken(app: WechatApp, now: number): AppTokenRecord {
    const graceEnd = now + APP_TOKEN_GRACE_SECONDS * 1000;
    for (const record of this.appTokens.values()) {
      if (record.appid !== app.appid || record.family !== "token" || record.expiresAt <= graceEnd) continue;
      record.expiresAt = graceEnd;
      record.replacedAt = now;
    }
    return this.mintToken(app, "token", now);
  }

  /**
   * `/cgi-bin/stable_token`: the same token while more than 5 minutes remain, a new one (the old staying
   * valid to its end) in the last 5 minutes. force_refresh kills the current token at once, at most 20 times
   * per (Beijing) day; a force refresh within 30 s of the previous one refreshes nothing, as documented.
   * @see https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
   */
  getStableToken(app: WechatApp, now: number, forceRefresh: boolean): StableTokenResult {
    const current = this.findLatest(app.appid, "stable_token", now);
    if (forceRefresh) {
      const history = (this.forceRefreshes.get(app.appid) ?? []).filter((at) => beijingDay(at) === beijingDay(now));
      const last = history.at(-1);
      if (current && last !== undefined && now - last < FORCE_REFRESH_GAP_MS) return { ok: true, record: current };
      if (history.length >= FORCE_REFRESH_PER_DAY) return { ok: false, errcode: 45009 };
      this.forceRefreshes.set(app.appid, [...history, now]);
      if (current) {
        current.expiresAt = now;
        current.replacedAt = now;
      }
      return { ok: true, record: this.mintToken(app, "stable_token", now) };
    }
    if (current && current.expiresAt - now > APP_TOKEN_GRACE_SECONDS * 1000) return { ok: true, record: current };
    return { ok: true, record: this.mintToken(app, "stable_token", now) };
  }

  /** 41001 missing, 40014 not token-shaped, 40001 unknown or replaced, 42001 expired. */
  checkAppToken(token: string | undefined, now: number): AppTokenCheck {
    if (!token) return { ok: false, errcode: 41001 };
    if (!/^\d+_[A-Za-z0-9_-]+$/.test(token)) return { ok: false, errcode: 40014 };
    const record = this.appTokens.get(token);
    if (!record) return { ok: false, errcode: 40001 };
    if (now >= record.expiresAt) return { ok: false, errcode: record.replacedAt === undefined ? 42001 : 40001 };
    return { ok: true, record };
  }

  createQrCode(input: Omit<OaQrCode, "ticket" | "urlId" | "url">): OaQrCode {
    const urlId = createUrlId();
    const qr: OaQrCode = {
      ...input,
      ticket: createTicket(urlId, input.createdAt, input.expireSeconds ?? 0),
      urlId,
      url: `http://weixin.qq.com/q/${urlId}`,
    };
    setCapped(this.qrCodes, qr.ticket, qr, MAX_QR_CODES);
    setCapped(this.ticketByUrlId, urlId, qr.ticket, MAX_QR_CODES);
    return qr;
  }

  findQrByTicket(ticket: string): OaQrCode | undefined {
    return this.qrCodes.get(ticket);
  }

  /** Accepts the `url` of a create answer, with or without scheme, `https`, or a trailing slash. */
  findQrByUrl(url: string): OaQrCode | undefined {
    const match = /^(?:https?:\/\/)?weixin\.qq\.com\/q\/([^/?#]+)\/?$/.exec(url.trim());
    const ticket = match?.[1] ? this.ticketByUrlId.get(match[1]) : undefined;
    return ticket === undefined ? undefined : this.qrCodes.get(ticket);
  }

  /** The newest live code whose scene_str or scene_id (as text) is `scene`. */
  findQrByScene(appid: string, scene: string, now: number): OaQrCode | undefined {
    return this.listQrCodes(appid).find((qr) => getSceneValue(qr) === scene && !isQrExpired(qr, now));
  }

  listQrCodes(appid?: string): OaQrCode[] {
    return [...this.qrCodes.values()].filter((qr) => appid === undefined || qr.appid === appid).reverse();
  }

  follow(appid: string, follower: Follower): Follower {
    const followers = this.followers.get(appid) ?? new Map<string, Follower>();
    followers.set(follower.userId, follower);
    this.followers.set(appid, followers);
    return follower;
  }

  unfollow(appid: string, userId: string): void {
    this.followers.get(appid)?.delete(userId);
  }

  getFollower(appid: string, userId: string): Follower | undefined {
    return this.followers.get(appid)?.get(userId);
  }

  listFollowers(appid: string): Follower[] {
    return [...(this.followers.get(appid)?.values() ?? [])];
  }

  hasUserinfoGrant(appid: string, userId: string): boolean {
    return this.grants.has(`${appid}:${userId}`);
  }

  grantUserinfo(appid: string, userId: string): void {
    this.grants.add(`${appid}:${userId}`);
  }

  createConsent(input: Omit<PendingConsent, "id">): PendingConsent {
    const consent: PendingConsent = { ...input, id: randomBytes(12).toString("base64url") };
    setCapped(this.consents, consent.id, consent, MAX_CONSENTS);
    return consent;
  }

  /** Consents are single use: a second click (or a back-button resubmit) finds nothing. */
  takeConsent(id: string): PendingConsent | undefined {
    const consent = this.consents.get(id);
    this.consents.delete(id);
    return consent;
  }

  private findLatest(appid: string, family: AppTokenFamily, now: number): AppTokenRecord | undefined {
    const token = this.latestToken.get(`${family}:${appid}`);
    const record = token === undefined ? undefined : this.appTokens.get(token);
    return record && now < record.expiresAt ? record : undefined;
  }

  private mintToken(app: WechatApp, family: AppTokenFamily, now: number): AppTokenRecord {
    const record: AppTokenRecord = {
      token: createAppToken(),
      appid: app.appid,
      family,
      issuedAt: now,
      expiresAt: now + APP_TOKEN_TTL_SECONDS * 1000,
    };
    setCapped(this.appTokens, record.token, record, MAX_APP_TOKENS);
    this.latestToken.set(`${family}:${app.appid}`, record.token);
    return record;
  }
}

/** The scene as pushes carry it: scene_str, or scene_id as text (`0` when the scene wrapper was omitted). */
export function getSceneValue(qr: OaQrCode): string {
  return qr.sceneStr ?? String(qr.sceneId ?? 0);
}

export function isQrExpired(qr: OaQrCode, now: number): boolean {
  return qr.expiresAt !== undefined && now >= qr.expiresAt;
}

import { randomBytes, randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import { buildCallbackUrl } from "./callback-url";
import { setCapped } from "./capped";
import { ACCESS_TOKEN_TTL_SECONDS, findUser, openidFor, REFRESH_TOKEN_TTL_SECONDS, snapshotOpenidFor } from "./config";
import type { OaPushMode, Registry, WechatApp } from "./config";
import { FaultQueue } from "./faults";
import { HttpError } from "./http";
import { MpStore } from "./mp-state";
import { OaStore } from "./oa-state";
import { QuotaStore } from "./quota";
import { RidLog } from "./rid-log";

export type Refusal = "state-only" | "none";

export type EmulatorSettings = {
  qrTtlSeconds: number;
  codeTtlSeconds: number;
  /** What the QR page does when the user cancels: documented state-only redirect, or stay on the page. */
  refusal: Refusal;
  /** Allowed redirect_uri hosts, `host[:port]`, compared with URL.host exactly. */
  callbackDomains: string[];
  longPollMs: number;
  /** The OA developer server's push URL (公众号后台 → 基本配置 → 服务器地址). */
  oaPushUrl: string;
  oaPushMode: OaPushMode;
  oaPushToken: string;
  oaEncodingAesKey: string;
  /** How long a push waits for an answer before it is dropped and retried; WeChat's is 5 s. */
  pushTimeoutMs: number;
  /** What 拒绝 on the OA consent sheet does: nothing but "已拒绝" (community reports), or a state-only redirect. */
  oaRefusal: Refusal;
  oaCodeTtlSeconds: number;
  /** Every OA web authorization happens on a "snapshot page" and yields virtual identities. */
  snapshot: boolean;
  /**
   * Appids not (yet) bound to the Open Platform account (开放平台 → 绑定公众号/网站应用): they hand out
   * no unionid to anyone. Taking an appid off the list is binding it: unionids appear from then on.
   */
  unboundApps: string[];
  /** getwxacodeunlimit calls per minute per mini program before 45009 (WeChat: 5000). */
  mpCodePerMinute: number;
  /** Users whose mini-program login is blocked as high-risk: jscode2session answers 40226 "code blocked". */
  blockedUsers: string[];
  /** The bytes of a 小程序码. Only "png" (labelled image/jpeg, as observed) is implemented. */
  mpCodeFormat: "png";
  /** The site's origin the mini-program page calls (its `config.js` apiOrigin): the app under development. */
  mpApiOrigin: string;
  /**
   * Daily limits that replace WeChat's for some metered paths (`{"/cgi-bin/qrcode/create": 3}`), so a test
   * can make a path run out (45009). Per app, per Beijing day. Default none.
   */
  dailyQuota: Record<string, number>;
};

export type QrStatus = "waiting" | "scanned" | "confirmed" | "cancelled" | "expired";

export type QrSession = {
  uuid: string;
  appid: string;
  state: string;
  redirectUri: string;
  selfRedirect: boolean;
  lang: "cn" | "en";
  loginType: "page" | "jssdk";
  /** Snapshot of the setting at creation, so the page and the control API agree on what cancel does. */
  refusal: Refusal;
  status: QrStatus;
  createdAt: number;
  expiresAt: number;
  userId?: string;
  code?: string;
  redirect?: string;
};

export type AuthCode = {
  code: string;
  appid: string;
  userId: string;
  /** snsapi_login (website QR), snsapi_base or snsapi_userinfo (OA web auth). */
  scope: string;
  /** Issued on a snapshot page: the exchange answers `is_snapshotuser: 1` with virtual ids. */
  snapshot?: boolean;
  issuedAt: number;
  used: boolean;
};

export type AccessTokenRecord = {
  token: string;
  appid: string;
  userId: string;
  openid: string;
  scope: string;
  snapshot?: boolean;
  expiresAt: number;
};

export type RefreshTokenRecord = {
  token: string;
  appid: string;
  userId: string;
  openid: string;
  scope: string;
  snapshot?: boolean;
  expiresAt: number;
  accessToken: string;
};

/** Long-poll answers of the QR page (docs/wechat-protocol.md §A1, internal mechanics). */
export const WX_ERRCODE: Readonly<Record<QrStatus, number>> = {
  waiting: 408,
  scanned: 404,
  cancelled: 403,
  expired: 402,
  confirmed: 405,
};

// Oldest entries go first once a map is full, so a long benchmark cannot grow the process without bound.
const MAX_QR_SESSIONS = 20_000;
const MAX_CODES = 100_000;
const MAX_TOKENS = 200_000;

const CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function createCode(): string {
  let code = "";
  for (let i = 0; i < 32; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** `<digits>_<base64url>` like real sns tokens; 87 chars, well under the 512 clients should reserve. */
function createToken(): string {
  return `92_${randomBytes(63).toString("base64url")}`;
}

export type CreateQrInput = Pick<QrSession, "appid" | "state" | "redirectUri" | "selfRedirect" | "lang" | "loginType">;

/**
 * Everything the emulator remembers, in memory: settings, the shifted clock, QR sessions, codes, tokens and
 * queued faults. QR changes are announced on `events` as `qr:<uuid>`; clock jumps and resets as `tick`, so
 * waiting long-polls re-check expiry without polling.
 */
export class EmulatorState {
  settings: EmulatorSettings;
  readonly events = new EventEmitter();
  readonly qrSessions = new Map<string, QrSession>();
  readonly codes = new Map<string, AuthCode>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();
  readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly faults = new FaultQueue();
  readonly oa = new OaStore();
  readonly mp = new MpStore();
  /** Metered calls per app, path and Beijing day (quota/get, 45009). */
  readonly quota = new QuotaStore();
  /** The rids of the last errcode answers, for rid/get. */
  readonly rids = new RidLog();
  private clockOffsetMs = 0;

  constructor(
    readonly registry: Registry,
    private readonly defaults: EmulatorSettings,
  ) {
    this.settings = structuredClone(defaults);
    this.events.setMaxListeners(0);
  }

  /** Emulator time in ms: wall clock plus whatever tests advanced it by. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  getClockOffsetSeconds(): number {
    return this.clockOffsetMs / 1000;
  }

  advanceClock(seconds: number): void {
    this.clockOffsetMs += Math.round(seconds * 1000);
    this.events.emit("tick");
  }

  updateSettings(patch: Partial<EmulatorSettings>): EmulatorSettings {
    this.settings = { ...this.settings, ...patch };
    this.events.emit("tick");
    return this.settings;
  }

  reset(): void {
    this.settings = structuredClone(this.defaults);
    this.clockOffsetMs = 0;
    this.qrSessions.clear();
    this.codes.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.faults.clear();
    this.oa.clear();
    this.mp.clear();
    this.quota.clear();
    this.rids.clear();
    this.events.emit("tick");
  }

  createQrSession(input: CreateQrInput): QrSession {
    const createdAt = this.now();
    const session: QrSession = {
      ...input,
      uuid: randomBytes(12).toString("base64url"),
      refusal: this.settings.refusal,
      status: "waiting",
      createdAt,
      expiresAt: createdAt + this.settings.qrTtlSeconds * 1000,
    };
    setCapped(this.qrSessions, session.uuid, session, MAX_QR_SESSIONS);
    return session;
  }

  /** A session with its expiry applied against the emulator clock. */
  getQrSession(uuid: string): QrSession | undefined {
    const session = this.qrSessions.get(uuid);
    if (!session) return undefined;
    const isOpen = session.status !== "confirmed" && session.status !== "expired";
    if (isOpen && this.now() >= session.expiresAt) {
      session.status = "expired";
      delete session.redirect;
    }
    return session;
  }

  listQrSessions(filter: { state?: string; appid?: string } = {}): QrSession[] {
    const sessions: QrSession[] = [];
    for (const uuid of this.qrSessions.keys()) {
      const session = this.getQrSession(uuid);
      if (!session) continue;
      if (filter.state !== undefined && session.state !== filter.state) continue;
      if (filter.appid !== undefined && session.appid !== filter.appid) continue;
      sessions.push(session);
    }
    return sessions.reverse();
  }

  scanQr(uuid: string, userId: string): QrSession {
    const session = this.requireActionable(uuid, userId);
    session.status = "scanned";
    session.userId = userId;
    delete session.redirect;
    this.announce(session);
    return session;
  }

  confirmQr(uuid: string, userId: string): QrSession {
    const session = this.requireActionable(uuid, userId);
    const code = createCode();
    this.storeCode({ code, appid: session.appid, userId, scope: "snsapi_login", issuedAt: this.now(), used: false });
    session.status = "confirmed";
    session.userId = userId;
    session.code = code;
    session.redirect = buildCallbackUrl(session.redirectUri, { code, state: session.state });
    this.announce(session);
    return session;
  }

  cancelQr(uuid: string): QrSession {
    const session = this.requireActionable(uuid);
    if (session.status === "cancelled") throw new HttpError(409, "QR login already cancelled");
    session.status = "cancelled";
    if (session.refusal === "state-only") {
      session.redirect = buildCallbackUrl(session.redirectUri, { state: session.state });
    }
    this.announce(session);
    return session;
  }

  expireQr(uuid: string): QrSession {
    const session = this.requireActionable(uuid);
    session.status = "expired";
    session.expiresAt = Math.min(session.expiresAt, this.now());
    delete session.redirect;
    this.announce(session);
    return session;
  }

  /** Issues an OA web-auth code (connect/oauth2/authorize) for one user. */
  issueOaCode(input: { appid: string; userId: string; scope: string; snapshot: boolean }): AuthCode {
    const record: AuthCode = { ...input, code: createCode(), issuedAt: this.now(), used: false };
    if (!input.snapshot) delete record.snapshot;
    this.storeCode(record);
    return record;
  }

  /** Issues a fresh access/refresh token pair, as a successful code exchange does. */
  issueTokens(app: WechatApp, userId: string, scope: string, options: { snapshot?: boolean } = {}): { access: AccessTokenRecord; refresh: RefreshTokenRecord } {
    const now = this.now();
    const snapshot = options.snapshot === true ? { snapshot: true } : {};
    const openid = options.snapshot ? snapshotOpenidFor(app.appid, userId) : openidFor(app.appid, userId);
    const access: AccessTokenRecord = {
      token: createToken(),
      appid: app.appid,
      userId,
      openid,
      scope,
      ...snapshot,
      expiresAt: now + ACCESS_TOKEN_TTL_SECONDS * 1000,
    };
    const refresh: RefreshTokenRecord = {
      token: createToken(),
      appid: app.appid,
      userId,
      openid,
      scope,
      ...snapshot,
      expiresAt: now + REFRESH_TOKEN_TTL_SECONDS * 1000,
      accessToken: access.token,
    };
    setCapped(this.accessTokens, access.token, access, MAX_TOKENS);
    setCapped(this.refreshTokens, refresh.token, refresh, MAX_TOKENS);
    return { access, refresh };
  }

  /** Stores a replacement access token minted by a refresh. */
  storeAccessToken(record: AccessTokenRecord): void {
    setCapped(this.accessTokens, record.token, record, MAX_TOKENS);
  }

  createAccessTokenValue(): string {
    return createToken();
  }

  private storeCode(record: AuthCode): void {
    setCapped(this.codes, record.code, record, MAX_CODES);
  }

  private requireActionable(uuid: string, userId?: string): QrSession {
    const session = this.getQrSession(uuid);
    if (!session) throw new HttpError(404, `unknown QR uuid: ${uuid}`);
    if (userId !== undefined && !findUser(userId)) throw new HttpError(400, `unknown user: ${userId}`);
    if (session.status === "expired") throw new HttpError(409, "QR code expired");
    if (session.status === "confirmed") throw new HttpError(409, "QR login already confirmed");
    return session;
  }

  private announce(session: QrSession): void {
    this.events.emit(`qr:${session.uuid}`);
  }
}

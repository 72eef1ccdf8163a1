import { createHash } from "node:crypto";
import { DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS } from "../lib/demo-apps";

/**
 * The emulator's fixed registry: one Open Platform account with its apps, the virtual WeChat users and
 * the protocol's default lifetimes. Pure data and pure helpers, so the app's own tests can import it
 * to compute the ids they expect without starting a server.
 */

export const DEMO_OPEN_ACCOUNT_ID = "demo";

export type AppType = "website" | "official_account";

export type WechatApp = {
  appid: string;
  secret: string;
  name: string;
  type: AppType;
  /** The Open Platform account the app is bound to; unionids are scoped to it. */
  openAccountId: string;
  /** Official Accounts only: the original id (`gh_…`) pushes carry as ToUserName. */
  originalId?: string;
};

export const WEB_APP: WechatApp = {
  appid: DEMO_WECHAT_APPS.web.appId,
  secret: DEMO_WECHAT_APPS.web.secret,
  name: "Demo Website",
  type: "website",
  openAccountId: DEMO_OPEN_ACCOUNT_ID,
};

export const WEB2_APP: WechatApp = {
  appid: DEMO_WECHAT_APPS.web2.appId,
  secret: DEMO_WECHAT_APPS.web2.secret,
  name: "Demo Website (second brand)",
  type: "website",
  openAccountId: DEMO_OPEN_ACCOUNT_ID,
};

/**
 * A verified service account bound to the demo Open Platform account, so website logins and follow-to-login
 * meet on the same unionid. Its push token, EncodingAESKey and push URL are settings (defaults below).
 */
export const OA_APP: WechatApp = {
  appid: DEMO_OFFICIAL_ACCOUNT.appId,
  secret: DEMO_OFFICIAL_ACCOUNT.secret,
  name: "Demo Official Account",
  type: "official_account",
  openAccountId: DEMO_OPEN_ACCOUNT_ID,
  originalId: DEMO_OFFICIAL_ACCOUNT.originalId,
};

export const DEMO_APPS: readonly WechatApp[] = [WEB_APP, WEB2_APP, OA_APP];

export type VirtualUser = {
  id: string;
  nickname: string;
  /** Users without one model WeChat accounts whose app is not bound to an Open Platform account. */
  hasUnionid: boolean;
  hasAvatar: boolean;
};

export const VIRTUAL_USERS: readonly VirtualUser[] = [
  { id: "lin", nickname: "林晓", hasUnionid: true, hasAvatar: true },
  { id: "zhang", nickname: "张伟", hasUnionid: true, hasAvatar: true },
  { id: "wang", nickname: "王芳", hasUnionid: false, hasAvatar: true },
  { id: "chen", nickname: "Chen Jie", hasUnionid: false, hasAvatar: true },
  { id: "li", nickname: "李娜", hasUnionid: true, hasAvatar: false },
];

export const DEFAULT_PORT = 3100;
/** This machine only: the control API can confirm any pending login. EMULATOR_HOST=0.0.0.0 opens it to the LAN. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_CALLBACK_DOMAINS: readonly string[] = ["localhost:3000"];
/** Not documented by WeChat; third-party pollers observe about five minutes. */
export const DEFAULT_QR_TTL_SECONDS = 300;
/** The real long-poll holds a request for about 25 s before answering 408. */
export const DEFAULT_LONGPOLL_MS = 25_000;
/** Website-app codes live 10 minutes (OA web-auth codes only 5). */
export const DEFAULT_CODE_TTL_SECONDS = 600;
export const ACCESS_TOKEN_TTL_SECONDS = 7200;
/** OA web-auth codes (connect/oauth2/authorize) live 5 minutes. */
export const DEFAULT_OA_CODE_TTL_SECONDS = 300;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** How the OA's developer server receives pushes (公众号后台 → 基本配置 → 消息加解密方式). */
export type OaPushMode = "plaintext" | "compatible" | "safe";
export const OA_PUSH_MODES: readonly OaPushMode[] = ["plaintext", "compatible", "safe"];
export const DEFAULT_OA_PUSH_URL = "http://localhost:3000/api/wechat/events";
export const DEFAULT_OA_PUSH_MODE: OaPushMode = "safe";
export const DEFAULT_OA_PUSH_TOKEN: string = DEMO_OFFICIAL_ACCOUNT.token;
export const DEFAULT_OA_ENCODING_AES_KEY: string = DEMO_OFFICIAL_ACCOUNT.encodingAesKey;
/** WeChat waits 5 s for the developer server, then drops the connection and retries (3 tries in total). */
export const DEFAULT_PUSH_TIMEOUT_MS = 5000;
export const PUSH_TRIES = 3;
/** App access tokens (/cgi-bin/token, stable_token) live 7200 s; a replaced one keeps working 5 more minutes. */
export const APP_TOKEN_TTL_SECONDS = 7200;
export const APP_TOKEN_GRACE_SECONDS = 300;
/** Temporary parametric QR codes: at most 30 days; 30 s when expire_seconds is omitted (older docs, WxJava). */
export const MAX_QR_EXPIRE_SECONDS = 2_592_000;
export const DEFAULT_QR_EXPIRE_SECONDS = 30;

/** Avatar sizes WeChat encodes as the last path segment of headimgurl; 0 means 640×640. */
export const AVATAR_SIZES: readonly number[] = [0, 46, 64, 96, 132];

function hashId(input: string): string {
  // 27 base64url chars after the "o" give the 28-character shape seen in real traffic.
  return "o" + createHash("sha256").update(input).digest("base64url").slice(0, 27);
}

/**
 * The openid a virtual user has in one app: stable, and different for every app.
 * @see https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Authorized_Interface_Calling_UnionID.html
 */
export function openidFor(appid: string, userId: string): string {
  return hashId(`openid:${appid}:${userId}`);
}

/**
 * The unionid a virtual user has in every app of one Open Platform account. Whether the user has one at
 * all is `VirtualUser.hasUnionid`; callers must not hand it out for users without.
 */
/** Whether `app` hands out `user`'s unionid: the user has one, and the app is not in `unboundApps`. */
export function givesUnionid(app: WechatApp, user: VirtualUser, unboundApps: readonly string[]): boolean {
  return user.hasUnionid && !unboundApps.includes(app.appid);
}

export function unionidFor(openAccountId: string, userId: string): string {
  return hashId(`unionid:${openAccountId}:${userId}`);
}

/**
 * The virtual openid a snapshot-page authorization yields (`is_snapshotuser: 1`): stable, but never the
 * user's real openid, so an app that keys accounts on it creates a phantom user, as on WeChat.
 * @see https://developers.weixin.qq.com/community/develop/doc/000c2c34068880629ced91a2f56001
 */
export function snapshotOpenidFor(appid: string, userId: string): string {
  return hashId(`snapshot-openid:${appid}:${userId}`);
}

/** The virtual unionid of a snapshot-page authorization; differs from `unionidFor`. */
export function snapshotUnionidFor(openAccountId: string, userId: string): string {
  return hashId(`snapshot-unionid:${openAccountId}:${userId}`);
}

/** Looks up a virtual user by id. */
export function findUser(userId: string): VirtualUser | undefined {
  return VIRTUAL_USERS.find((user) => user.id === userId);
}

/** The profile picture URL WeChat would hand out; empty when the user has no avatar, as WeChat does. */
export function getHeadimgurl(publicUrl: string, user: VirtualUser, size = 132): string {
  return user.hasAvatar ? `${publicUrl}/avatar/${user.id}/${size}` : "";
}

export type Registry = {
  apps: readonly WechatApp[];
  findApp(appid: string): WechatApp | undefined;
};

/** Builds the app registry: the demo apps plus extra website apps (e.g. from AUTH_WECHAT_ID) in the demo account. */
export function createRegistry(extraApps: readonly { appid: string; secret: string; name?: string }[] = []): Registry {
  const apps: WechatApp[] = [...DEMO_APPS];
  for (const extra of extraApps) {
    if (apps.some((app) => app.appid === extra.appid)) continue;
    apps.push({
      appid: extra.appid,
      secret: extra.secret,
      name: extra.name ?? "Local Website",
      type: "website",
      openAccountId: DEMO_OPEN_ACCOUNT_ID,
    });
  }
  return { apps, findApp: (appid) => apps.find((app) => app.appid === appid) };
}

import { createHash } from "node:crypto";
import { DEMO_MINI_PROGRAM_LOGIN_PAGE, DEMO_MINI_PROGRAMS, DEMO_OFFICIAL_ACCOUNT, DEMO_WECHAT_APPS } from "../lib/demo-apps";

/**
 * The emulator's fixed registry: one Open Platform account with its apps, the virtual WeChat users and
 * the protocol's default lifetimes. Pure data and pure helpers, so the app's own tests can import it
 * to compute the ids they expect without starting a server.
 */

export const DEMO_OPEN_ACCOUNT_ID = "demo";

export type AppType = "website" | "official_account" | "mini_program";

/** What WeChat knows about a mini program that decides which of its APIs work (docs/wechat-protocol.md §H). */
export type MiniProgramProfile = {
  /** 主体: personal-subject mini programs get no phone button and no URL Link. */
  subject: "company" | "personal";
  /** WeChat verification (微信认证): the phone button needs it. */
  verified: boolean;
  /** Whether a version is online; `check_path` and URL Links look at the released pages only. */
  released: boolean;
  /** The pages of the released version; the first is the home page. */
  pages: readonly string[];
};

export type WechatApp = {
  appid: string;
  secret: string;
  name: string;
  type: AppType;
  /** The Open Platform account the app is bound to; unionids are scoped to it. */
  openAccountId: string;
  /** Official Accounts only: the original id (`gh_…`) pushes carry as ToUserName. */
  originalId?: string;
  /** Not bound to any Open Platform account: never a unionid (as if always in `unboundApps`). */
  unbound?: boolean;
  /** Mini programs only. */
  miniProgram?: MiniProgramProfile;
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

/** The mini-program login page path (the only page of the released demo mini programs). */
export const MP_LOGIN_PAGE: string = DEMO_MINI_PROGRAM_LOGIN_PAGE;

type DemoMiniProgram = (typeof DEMO_MINI_PROGRAMS)[keyof typeof DEMO_MINI_PROGRAMS];

function miniProgramApp(demo: DemoMiniProgram, name: string): WechatApp {
  return {
    appid: demo.appId,
    secret: demo.secret,
    name,
    type: "mini_program",
    openAccountId: DEMO_OPEN_ACCOUNT_ID,
    ...(demo.boundToOpenPlatform ? {} : { unbound: true }),
    miniProgram: { subject: demo.subject, verified: demo.verified, released: demo.released, pages: demo.released ? [MP_LOGIN_PAGE] : [] },
  };
}

/** The sign-in mini program: company subject, verified, released, bound (gives unionids). */
export const MP_APP: WechatApp = miniProgramApp(DEMO_MINI_PROGRAMS.mp, "Demo Mini Program");
/** Like MP_APP but not bound to an Open Platform account: never a unionid. */
export const MP_SOLO_APP: WechatApp = miniProgramApp(DEMO_MINI_PROGRAMS.mpSolo, "Demo Mini Program (unbound)");
/** Personal subject: no phone button; generate_urllink answers 40002. */
export const MP_PERSONAL_APP: WechatApp = miniProgramApp(DEMO_MINI_PROGRAMS.mpPersonal, "Demo Mini Program (personal)");
/** No released version: check_path codes answer 41030, generate_urllink 85079. */
export const MP_UNRELEASED_APP: WechatApp = miniProgramApp(DEMO_MINI_PROGRAMS.mpUnreleased, "Demo Mini Program (unreleased)");

export const DEMO_APPS: readonly WechatApp[] = [WEB_APP, WEB2_APP, OA_APP, MP_APP, MP_SOLO_APP, MP_PERSONAL_APP, MP_UNRELEASED_APP];

export type VirtualUser = {
  id: string;
  nickname: string;
  /** Users without one model WeChat accounts whose app is not bound to an Open Platform account. */
  hasUnionid: boolean;
  hasAvatar: boolean;
  /** The phone number bound to the WeChat account, without country code (purePhoneNumber); none for some users. */
  phone?: string;
  /** The phone's country code without "+"; "86" when omitted. */
  phoneCountryCode?: string;
};

export const VIRTUAL_USERS: readonly VirtualUser[] = [
  { id: "lin", nickname: "林晓", hasUnionid: true, hasAvatar: true, phone: "13800138000" },
  { id: "zhang", nickname: "张伟", hasUnionid: true, hasAvatar: true, phone: "13900139000" },
  { id: "wang", nickname: "王芳", hasUnionid: false, hasAvatar: true, phone: "13700137000" },
  { id: "chen", nickname: "Chen Jie", hasUnionid: false, hasAvatar: true, phone: "51234567", phoneCountryCode: "852" },
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
/** The site the mini-program page (`/mp/…`) calls, as `config.js`'s `apiOrigin` would name it. */
export const DEFAULT_MP_API_ORIGIN = "http://localhost:3000";
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

/** Whether `app` hands out `user`'s unionid: the user has one, and the app is bound (not `unbound`, not in `unboundApps`). */
export function givesUnionid(app: WechatApp, user: VirtualUser, unboundApps: readonly string[]): boolean {
  return user.hasUnionid && app.unbound !== true && !unboundApps.includes(app.appid);
}

export type PhoneInfo = { phoneNumber: string; purePhoneNumber: string; countryCode: string };

/**
 * The user's phone as getuserphonenumber answers it: `phoneNumber` carries the country code only for
 * numbers outside mainland China, `purePhoneNumber` never does.
 * @see docs/wechat-protocol.md §H4.2
 */
export function getPhoneInfo(user: VirtualUser): PhoneInfo | undefined {
  if (user.phone === undefined) return undefined;
  const countryCode = user.phoneCountryCode ?? "86";
  return { phoneNumber: countryCode === "86" ? user.phone : `+${countryCode}${user.phone}`, purePhoneNumber: user.phone, countryCode };
}

/**
 * The unionid a virtual user has in every app of one Open Platform account. Whether the user has one at
 * all is `VirtualUser.hasUnionid`; callers must not hand it out for users without.
 */
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

/**
 * The demo apps registered on the emulator, defined once: the emulator serves them (emulator/config.ts), and
 * the app falls back to them when no WeChat credentials are configured (lib/env.ts). Never valid on
 * real WeChat. Plain constants with no imports, so both a Next.js build and `tsx` load this file.
 */

/** The two demo website apps (网站应用) of the demo Open Platform account. */
export const DEMO_WECHAT_APPS = {
  web: { appId: "wx8e0b5c61d2a3f470", secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1c2" },
  web2: { appId: "wx8e0b5c61d2a3f471", secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1c3" },
} as const;

/** The demo Official Account (服务号) with its message-push settings (服务器配置). */
export const DEMO_OFFICIAL_ACCOUNT = {
  appId: "wx8e0b5c61d2a3f4a0",
  secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1d0",
  token: "demoPushToken2026",
  /** 43 characters of [A-Za-z0-9]; base64-decoded with a trailing "=" it is the 32-byte AES key. */
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  /** The original id (原始ID) pushes carry as ToUserName. */
  originalId: "gh_0a1b2c3d4e5f",
} as const;

/** The one page of the released demo mini programs: the sign-in page a 小程序码 opens. */
export const DEMO_MINI_PROGRAM_LOGIN_PAGE = "pages/login/login";

/**
 * The demo mini programs (小程序). `subject` is the 主体 type; `verified` is WeChat verification (微信认证);
 * `released` whether a version is online; `boundToOpenPlatform` whether it is bound to the demo Open Platform
 * account, which is what makes jscode2session hand out a unionid.
 */
export const DEMO_MINI_PROGRAMS = {
  /** The sign-in mini program: everything available, unionid included. */
  mp: {
    appId: "wx8e0b5c61d2a3f4b0",
    secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1e0",
    subject: "company",
    verified: true,
    released: true,
    boundToOpenPlatform: true,
  },
  /** Not bound to an Open Platform account: never a unionid. */
  mpSolo: {
    appId: "wx8e0b5c61d2a3f4b1",
    secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1e1",
    subject: "company",
    verified: true,
    released: true,
    boundToOpenPlatform: false,
  },
  /** A personal subject: no phone-number button, no URL Link. */
  mpPersonal: {
    appId: "wx8e0b5c61d2a3f4b2",
    secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1e2",
    subject: "personal",
    verified: false,
    released: true,
    boundToOpenPlatform: true,
  },
  /** No released version yet: codes only with check_path=false, no URL Link. */
  mpUnreleased: {
    appId: "wx8e0b5c61d2a3f4b3",
    secret: "c0ffee00d1e2f3a4b5c6d7e8f9a0b1e3",
    subject: "company",
    verified: true,
    released: false,
    boundToOpenPlatform: true,
  },
} as const;

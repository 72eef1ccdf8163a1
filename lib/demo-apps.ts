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

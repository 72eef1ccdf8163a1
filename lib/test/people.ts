/** WeChat identities as the sign-in surfaces hand them to lib/db, for tests of users and sign-ins. */
import type { WechatSignIn } from "@/lib/db/people";

/** The emulator's two website apps. */
export const WEB = "wx8e0b5c61d2a3f470";
export const WEB2 = "wx8e0b5c61d2a3f471";

/** The browser and history line of a website sign-in. */
export const meta = { userAgent: "vitest", ip: "127.0.0.1", method: "wechat:website", maxAgeSeconds: 3600 };

/** A person as the website QR learns them: profile and OAuth tokens, with a unionid when given. */
export function identity(appId: string, openid: string, unionid?: string): WechatSignIn {
  return {
    appId,
    openid,
    unionid,
    nickname: `n-${openid}`,
    avatarUrl: "",
    tokens: { accessToken: `at-${openid}`, refreshToken: `rt-${openid}`, expiresIn: 7200, scope: "snsapi_login" },
  };
}

/**
 * Cookie names and flags shared by Auth.js and the WeChat flow, so a session we open after a
 * WeChat callback is the same Auth.js session cookie that `auth()` reads.
 */
import { getEnv } from "@/lib/env";

/**
 * The binding only has to outlive one login (a state lives 30 minutes); a day keeps a browser's
 * per-browser limits meaningful without a value that lives on for a month.
 */
const BINDING_MAX_AGE_SECONDS = 24 * 60 * 60;

/** Secure cookies when the site is served over https (AUTH_URL), or in production without one. */
export function usesSecureCookies(): boolean {
  const env = getEnv();
  return env.authUrl ? env.authUrl.startsWith("https://") : env.nodeEnv === "production";
}

/** Auth.js's own name for the database session cookie. */
export function sessionCookieName(): string {
  return `${usesSecureCookies() ? "__Secure-" : ""}authjs.session-token`;
}

/** The browser-binding cookie that ties a login `state` to the browser that asked for it. */
export function bindingCookieName(): string {
  return `${usesSecureCookies() ? "__Host-" : ""}wxlogin.bind`;
}

export type CookieSpec = {
  name: string;
  value: string;
  options: { httpOnly: true; sameSite: "lax"; secure: boolean; path: "/"; expires?: Date; maxAge?: number };
};

export function sessionCookie(token: string, expires: Date): CookieSpec {
  return { name: sessionCookieName(), value: token, options: { httpOnly: true, sameSite: "lax", secure: usesSecureCookies(), path: "/", expires } };
}

export function bindingCookie(value: string): CookieSpec {
  return {
    name: bindingCookieName(),
    value,
    options: { httpOnly: true, sameSite: "lax", secure: usesSecureCookies(), path: "/", maxAge: BINDING_MAX_AGE_SECONDS },
  };
}

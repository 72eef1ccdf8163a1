import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, type Locale } from "./messages";

/** The locale chosen by the cookie the pages read, from Next's parsed cookies (`request.cookies`). */
export function getLocaleOf(cookies: { get(name: string): { value: string } | undefined }): Locale {
  const value = cookies.get(LOCALE_COOKIE)?.value;
  return isLocale(value) ? value : DEFAULT_LOCALE;
}

/**
 * The locale of an API caller: the cookie when it has one (a page of ours), else its
 * Accept-Language (the mini program sends one; it has no cookies), else the default.
 */
export function getLocaleOfCaller(request: { cookies: { get(name: string): { value: string } | undefined }; headers: Headers }): Locale {
  const cookie = request.cookies.get(LOCALE_COOKIE)?.value;
  if (isLocale(cookie)) return cookie;
  const accepted = request.headers.get("accept-language")?.trim().toLowerCase() ?? "";
  return accepted.startsWith("en") ? "en" : DEFAULT_LOCALE;
}

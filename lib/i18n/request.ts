import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, type Locale } from "./messages";

/** The locale chosen by the cookie the pages read, from Next's parsed cookies (`request.cookies`). */
export function getLocaleOf(cookies: { get(name: string): { value: string } | undefined }): Locale {
  const value = cookies.get(LOCALE_COOKIE)?.value;
  return isLocale(value) ? value : DEFAULT_LOCALE;
}

import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, type Locale } from "./messages";
import { readCookie } from "@/lib/http";

/** The locale of a route handler's request (the same cookie the pages read). */
export function getLocaleOf(request: Request): Locale {
  const value = readCookie(request, LOCALE_COOKIE);
  return isLocale(value) ? value : DEFAULT_LOCALE;
}

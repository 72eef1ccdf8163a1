import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, type Locale } from "./messages";
import { readCookieHeader } from "@/lib/http";

/** The locale of a route handler's request (the same cookie the pages read). */
export function getLocaleOf(request: Request): Locale {
  return getLocaleOfCookieHeader(request.headers.get("cookie"));
}

/** {@link getLocaleOf} from a raw Cookie header (Node's request in the Pages API route). */
export function getLocaleOfCookieHeader(header: string | null | undefined): Locale {
  const value = readCookieHeader(header, LOCALE_COOKIE);
  return isLocale(value) ? value : DEFAULT_LOCALE;
}

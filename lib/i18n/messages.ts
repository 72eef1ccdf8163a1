/**
 * Every user-facing text: pages, login errors, the Official Account's chat replies, SMS and email.
 * zh-CN is the default; each area file (./messages/*.ts) has both languages side by side.
 *
 * Why our own typed dictionary and not next-intl (4.14.8, measured when this was decided): we need
 * two locales chosen by a cookie (no locale in the URL, so no i18n routing or middleware), text in
 * server components, a few client islands, route handlers, and SMS/email sent outside any page.
 * next-intl brings 28 packages (17 MB; @swc/core and @parcel/watcher are hard dependencies, for its
 * message extractor), a next.config plugin and a request config, and 13 KB gzipped (43 KB minified)
 * of ICU runtime to the browser; route handlers and mail would still need use-intl's createTranslator.
 * Its gain, ICU plural/select, we need once ("1 minute"). Ours: ~110 lines (this file, ./translate.ts,
 * ./durations.ts), 0.4 KB in the browser, placeholders type-checked from the zh-CN text, one
 * translator everywhere; the catalogue itself (36 KB minified) stays on the server.
 */
import { en, zh, type MessageKey } from "./catalogue";
import { createTranslator, type MessageArgs, type Messages, type Translate } from "./translate";

export type { Catalogue, MessageKey } from "./catalogue";

export const LOCALES = ["zh-CN", "en"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "zh-CN";
export const LOCALE_COOKIE = "locale";

const CATALOGUES: Record<Locale, Messages> = { "zh-CN": zh, en };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The translator of one locale, for server code: pages, actions, route handlers, SMS and email. */
export function translator(locale: Locale): Translate {
  return createTranslator(CATALOGUES[locale]);
}

/** The messages of `locale` whose keys start with one of `prefixes`: what a client island is given. */
export function pickMessages<Prefix extends string>(locale: Locale, prefixes: readonly Prefix[]): Messages<Extract<MessageKey, `${Prefix}${string}`>> {
  const picked = Object.entries(CATALOGUES[locale]).filter(([key]) => prefixes.some((prefix) => key.startsWith(prefix)));
  return Object.fromEntries(picked) as Messages<Extract<MessageKey, `${Prefix}${string}`>>;
}

/** One text in every locale, zh-CN first: for a reader whose language we cannot know (a WeChat chat). */
export function allLocales<K extends MessageKey>(key: K, ...args: MessageArgs<K>): string[] {
  return LOCALES.map((locale) => translator(locale)(key, ...args));
}

/** {@link allLocales}, a line each. */
export function inAllLocales<K extends MessageKey>(key: K, ...args: MessageArgs<K>): string {
  return allLocales(key, ...args).join("\n");
}

/**
 * What a user may bind: a mobile number of a country the site sends SMS to (SMS_COUNTRY_CODES,
 * mainland China by default) or an email address, normalized so one number or address has one
 * spelling in the database. Phone numbers are checked by libphonenumber-js, a maintained copy of
 * Google's metadata. The country allow-list keeps SMS pumping to premium foreign ranges out.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { z } from "zod";

export type BindChannel = "phone" | "email";

export type TargetResult =
  | { ok: true; target: string }
  | { ok: false; error: "invalid_phone" | "invalid_email" | "too_long" }
  /** A valid mobile number of a country the site does not send to; `country` is its calling code. */
  | { ok: false; error: "country_unsupported"; country: string };

const MAX_INPUT = 254;

/**
 * `13800138000`, `138 0013 8000`, `+86 138-0013-8000` → `+8613800138000`; `+1 650 253 0000` →
 * `+16502530000`. Numbers without a `+` are read as mainland numbers. Only numbers that can
 * receive SMS (mobile, or fixed-or-mobile where a country cannot tell) are accepted.
 */
export function normalizePhone(input: string, allowedCountryCodes?: readonly string[]): TargetResult {
  if (input.length > 32) return { ok: false, error: "too_long" };
  const trimmed = input.trim();
  if (!/^\+?[\d\s()-]{5,}$/.test(trimmed)) return { ok: false, error: "invalid_phone" };
  const parsed = parsePhoneNumberFromString(trimmed, "CN");
  if (!parsed?.isValid()) return { ok: false, error: "invalid_phone" };
  const type = parsed.getType();
  if (type !== "MOBILE" && type !== "FIXED_LINE_OR_MOBILE") return { ok: false, error: "invalid_phone" };
  if (allowedCountryCodes && !allowedCountryCodes.includes(parsed.countryCallingCode))
    return { ok: false, error: "country_unsupported", country: parsed.countryCallingCode };
  return { ok: true, target: parsed.number };
}

const emailSchema = z.email();

export function normalizeEmail(input: string): TargetResult {
  if (input.length > MAX_INPUT) return { ok: false, error: "too_long" };
  const trimmed = input.trim().toLowerCase();
  if (!emailSchema.safeParse(trimmed).success) return { ok: false, error: "invalid_email" };
  return { ok: true, target: trimmed };
}

/** `smsCountryCodes`: the calling codes phone numbers may have (getEnv().limits.smsCountryCodes). */
export function normalizeTarget(channel: BindChannel, input: string, smsCountryCodes: readonly string[]): TargetResult {
  return channel === "phone" ? normalizePhone(input, smsCountryCodes) : normalizeEmail(input);
}

/** `+8613800138000` → `+86 138****8000`; `lin@example.com` → `l***@example.com`. */
export function maskTarget(channel: BindChannel, target: string): string {
  if (channel === "email") {
    const [local = "", domain = ""] = target.split("@");
    return `${local.slice(0, 1)}***@${domain}`;
  }
  const parsed = parsePhoneNumberFromString(target);
  const national = parsed?.nationalNumber ?? target;
  const masked = national.length > 7 ? `${national.slice(0, 3)}****${national.slice(-4)}` : `****${national.slice(-2)}`;
  return parsed ? `+${parsed.countryCallingCode} ${masked}` : masked;
}

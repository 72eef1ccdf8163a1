/**
 * The console's query strings, checked with zod: a bad value is reported by name (shown as a
 * localized message) and dropped, never passed on and never a stack trace.
 */
import { z } from "zod";
import { ATTEMPT_OUTCOMES, ATTEMPT_SURFACES, type AttemptFilter } from "@/lib/db/attempts";

export type SearchParams = Record<string, string | string[] | undefined>;

const HOUR = 3_600_000;

/** The funnel's periods and the time-series bucket of each. */
export const PERIODS = {
  "24h": { ms: 24 * HOUR, bucketMs: HOUR },
  "7d": { ms: 7 * 24 * HOUR, bucketMs: 6 * HOUR },
  "30d": { ms: 30 * 24 * HOUR, bucketMs: 24 * HOUR },
} as const;
export type Period = keyof typeof PERIODS;
export const periodSchema = z.enum(Object.keys(PERIODS) as [Period, ...Period[]]);

export const ATTEMPTS_PAGE_SIZE = 100;

const filterSchemas = {
  outcome: z.enum(ATTEMPT_OUTCOMES),
  surface: z.enum(ATTEMPT_SURFACES),
  errcode: z
    .string()
    .regex(/^-?\d{1,6}$/)
    .transform(Number),
} as const;

export type ParsedQuery<T> = { value: T; invalid: string[] };

/** A repeated parameter (`?outcome=a&outcome=b`) is invalid: null. */
function single(value: string | string[] | undefined): string | undefined | null {
  if (Array.isArray(value)) return value.length === 1 ? value[0] : null;
  return value;
}

/** `?period=` of the funnel: 24h by default; anything else is reported. */
export function parsePeriod(params: SearchParams): ParsedQuery<Period> {
  const raw = single(params.period);
  if (raw === undefined || raw === "") return { value: "24h", invalid: [] };
  const parsed = periodSchema.safeParse(raw);
  return parsed.success ? { value: parsed.data, invalid: [] } : { value: "24h", invalid: ["period"] };
}

/** `?outcome=&surface=&errcode=` of the attempts list; an empty value means "any". */
export function parseAttemptFilter(params: SearchParams): ParsedQuery<AttemptFilter> {
  const value: AttemptFilter = { limit: ATTEMPTS_PAGE_SIZE };
  const invalid: string[] = [];
  for (const name of ["outcome", "surface", "errcode"] as const) {
    const raw = single(params[name]);
    if (raw === undefined || raw === "") continue;
    const parsed = filterSchemas[name].safeParse(raw ?? undefined);
    if (parsed.success) Object.assign(value, { [name]: parsed.data });
    else invalid.push(name);
  }
  return { value, invalid };
}

/** Attempt and person ids in a path: what our ids look like (cuid or our random ids), nothing else. */
export const idSchema = z.string().regex(/^[\w-]{1,64}$/);

/** `?q=` of the people search. */
export const peopleQuerySchema = z.string().trim().min(1).max(200);

/** The start of `period` from now, and its time-series bucket. */
export function periodWindow(period: Period, now = Date.now()): { since: Date; bucketMs: number } {
  const { ms, bucketMs } = PERIODS[period];
  return { since: new Date(now - ms), bucketMs };
}

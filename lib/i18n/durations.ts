/**
 * Durations in words, on the server and in client islands alike: "5 分钟", "1 minute", and the
 * one "try again in …" wait that every refusal (sign-in limits, binding limits) shows.
 */
import type { MessageKey } from "./messages";
import type { Translate } from "./translate";

export type DurationKey = Extract<MessageKey, `duration.${string}`>;
export type DurationUnit = "second" | "minute" | "hour";

/** `5 分钟`, `5 minutes`, `1 minute`. */
export function formatDuration(t: Translate<DurationKey>, unit: DurationUnit, count: number): string {
  return t(count === 1 ? `duration.${unit}` : `duration.${unit}s`, { n: count });
}

/**
 * When a refused request may be tried again, rounded up to a unit one can read: seconds under two
 * minutes, minutes under two hours, else hours (a daily cap's wait in seconds would be unreadable).
 */
export function formatWait(t: Translate<DurationKey>, seconds: number): string {
  if (seconds < 120) return formatDuration(t, "second", Math.max(1, Math.ceil(seconds)));
  if (seconds < 7200) return formatDuration(t, "minute", Math.ceil(seconds / 60));
  return formatDuration(t, "hour", Math.ceil(seconds / 3600));
}

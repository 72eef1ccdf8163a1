/** Small formatting shared by the console's pages: rates and elapsed times. */
import { formatDuration, type DurationKey } from "@/lib/i18n/durations";
import type { Translate } from "@/lib/i18n/translate";

/** `part / whole` as a percentage with one decimal, or "—" when there is nothing to divide. */
export function formatRate(part: number | null, whole: number | null): string {
  if (part === null || whole === null || whole <= 0) return "—";
  return `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%`;
}

/** A median or an age: seconds under two minutes, minutes under two hours, else hours (rounded). */
export function formatElapsed(t: Translate<DurationKey>, ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "—";
  const seconds = Math.max(0, ms / 1000);
  if (seconds < 120) return formatDuration(t, "second", Math.round(seconds));
  if (seconds < 7200) return formatDuration(t, "minute", Math.round(seconds / 60));
  return formatDuration(t, "hour", Math.round(seconds / 3600));
}

/**
 * Structured one-line JSON logs. Callers pass fields, never whole objects from WeChat or the
 * request, so secrets and tokens cannot slip in by accident.
 */
import { currentAttempt } from "@/lib/attempt-context";
import { getEnv } from "@/lib/env";

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

function write(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  let threshold: Level = "info";
  try {
    threshold = getEnv().logLevel;
  } catch {
    // A broken environment is reported elsewhere; logging must still work.
  }
  if (LEVELS[level] < LEVELS[threshold]) return;
  // Inside a sign-in attempt every line names it, so one attempt's lines, trace and rids meet.
  const attempt = currentAttempt();
  const ids = attempt ? { attempt: attempt.attemptId, ...(attempt.trace ? { trace_id: attempt.trace.traceId } : {}) } : {};
  const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...ids, ...fields });
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
}

export const logger = {
  debug: (event: string, fields?: Record<string, unknown>) => write("debug", event, fields),
  info: (event: string, fields?: Record<string, unknown>) => write("info", event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => write("warn", event, fields),
  error: (event: string, fields?: Record<string, unknown>) => write("error", event, fields),
};

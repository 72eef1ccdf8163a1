/**
 * The sign-in attempt the current async work belongs to, so that log lines (lib/logger.ts) carry
 * its id and trace id without every caller passing them, and spans (lib/telemetry) find their
 * parent. Set by `withAttempt` in lib/telemetry.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { SpanContext } from "@opentelemetry/api";

/** `trace` is the attempt's root span, read once from its stored traceparent: its trace id goes on log lines, spans go under it. */
export type AttemptContext = { attemptId: string; trace?: SpanContext | undefined };

const globalForAttempts = globalThis as typeof globalThis & { __wechatAttemptContext?: AsyncLocalStorage<AttemptContext> };
// One store per process, even when a bundler loads this module twice (route and instrumentation chunks).
const storage = (globalForAttempts.__wechatAttemptContext ??= new AsyncLocalStorage<AttemptContext>());

/** Runs `work` inside the attempt's context. */
export function runInAttempt<T>(context: AttemptContext, work: () => T): T {
  return storage.run(context, work);
}

/** The attempt of the current async work, if any. */
export function currentAttempt(): AttemptContext | undefined {
  return storage.getStore();
}

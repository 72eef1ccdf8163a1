/**
 * One sign-in attempt, whatever its surface: its id, its trace and the steps it goes through.
 * An OAuth state (website QR, in-WeChat) or a login ticket (Official Account QR, mini-program
 * code) is one attempt. Its `attemptId` is random and stored beside the row: the state and the
 * ticket id are what a browser presents, so they are secrets and never appear on a log line, a
 * span or the operator console.
 */
import "server-only";
import { randomToken } from "@/lib/crypto";
import type { LoginMode } from "@/lib/db/login-states";
import { isAppError } from "@/lib/errors";
import { recordStep, startAttemptTrace, withAttempt, type AttemptRef, type FunnelStep, type LoginSurface, type StepOutcome } from "@/lib/telemetry";
import { WechatApiError } from "@/lib/wechat/api-client";

export { recordStep, withAttempt, type AttemptRef };

/** What a new attempt's row stores: its id, its creation time and its trace. */
export type NewAttempt = { attemptId: string; createdAt: Date; traceParent: string | null };

/** A new attempt of `surface`: a fresh id, and the root span of its trace when tracing is on. */
export function openAttempt(surface: LoginSurface): NewAttempt & { ref: AttemptRef } {
  const attemptId = randomToken(12);
  const createdAt = new Date();
  const traceParent = startAttemptTrace({ id: attemptId, surface, createdAt });
  return { attemptId, createdAt, traceParent, ref: { id: attemptId, surface, traceParent, createdAt } };
}

/** The surface an OAuth state's mode belongs to. */
export function surfaceOfMode(mode: LoginMode | string): LoginSurface {
  return mode === "oa_base" || mode === "oa_userinfo" ? "in_wechat" : "website";
}

export function attemptOfState(row: { attemptId: string; mode: string; traceParent: string | null; createdAt: Date }): AttemptRef {
  return { id: row.attemptId, surface: surfaceOfMode(row.mode), traceParent: row.traceParent, createdAt: row.createdAt };
}

export function attemptOfTicket(row: { attemptId: string; surface: string; traceParent: string | null; createdAt: Date }): AttemptRef {
  return {
    id: row.attemptId,
    surface: row.surface === "mini_program" ? "mini_program" : "official_account",
    traceParent: row.traceParent,
    createdAt: row.createdAt,
  };
}

/** WeChat's errcode and rid of a failure, when WeChat answered with one: stored with the attempt. */
export type WechatFailure = { errcode: number | null; rid: string | null };

export function wechatFailureOf(error: unknown): WechatFailure {
  return error instanceof WechatApiError ? { errcode: error.errcode, rid: error.rid ?? null } : { errcode: null, rid: null };
}

/** Our error code for a failure (lib/errors.ts), or `server_error` for anything unexpected. */
export function errorCodeOf(error: unknown): string {
  return isAppError(error) ? error.code : "server_error";
}

/** Records a step that ended the attempt (or failed within it) with what WeChat said, if anything. */
export function recordFailedStep(attempt: AttemptRef, step: FunnelStep, error: unknown, outcome: StepOutcome = "failed"): void {
  const { errcode, rid } = wechatFailureOf(error);
  recordStep(attempt, step, outcome, { errcode: errcode ?? undefined, rid: rid ?? undefined, reason: errorCodeOf(error) });
}

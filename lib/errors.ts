/**
 * One error type for expected failures. `code` is a closed union: every code has a message in
 * each language (lib/i18n) and, for sign-in failures, a next step. `detail` is for the server
 * log only and never reaches a page or a response body.
 */
import type { LoginErrorCode } from "@/lib/wechat/error-catalogue";

/** Refusals of the follow-to-login ticket API. */
export type TicketErrorCode = "not_found" | "expired" | "wrong_browser" | "not_confirmed" | "already_redeemed" | "already_scanned" | "cancelled";

/** Refusals of a request as such, before any sign-in logic runs. */
export type RequestErrorCode = "invalid_request" | "cross_origin" | "rate_limited";

export type ErrorCode = LoginErrorCode | TicketErrorCode | RequestErrorCode;

export class AppError extends Error {
  override name = "AppError";
  readonly retryAfterSeconds: number | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    options: { retryAfterSeconds?: number; detail?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.detail = options.detail;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}

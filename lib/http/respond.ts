/**
 * The one way a failure becomes an answer. Every route handler and action hands what it caught
 * to {@link errorResponse} (APIs a page or phone calls) or {@link errorPage} (navigations):
 * an {@link AppError} becomes its status and localized message; anything else is logged once,
 * with a request id, and answered with a generic localized message that names that id.
 */
import "server-only";
import { NextResponse, type NextRequest } from "next/server";
import { AppError, isLoginErrorCode, type ErrorCode } from "@/lib/errors";
import { formatWait } from "@/lib/i18n/durations";
import { translator, type Locale } from "@/lib/i18n/messages";
import { getLocaleOf, getLocaleOfCaller } from "@/lib/i18n/request";
import { logger } from "@/lib/logger";
import { publicOrigin } from "./request";

const NO_STORE = { "cache-control": "no-store" };

const STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_request: 400,
  unknown_app: 400,
  cross_origin: 403,
  not_found: 404,
  rate_limited: 429,
  expired: 409,
  wrong_browser: 409,
  not_confirmed: 409,
  already_redeemed: 409,
  already_scanned: 409,
  cancelled: 409,
  server_error: 500,
};

/** HTTP status of an expected failure; WeChat's own failures are a bad gateway. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? (isLoginErrorCode(code) ? 502 : 400);
}

/** "Try again in …", in the visitor's language (the one wait formatter, lib/i18n/durations.ts). */
export function retryMessage(locale: Locale, retryAfterSeconds: number): string {
  const t = translator(locale);
  return t("login.limited", { wait: formatWait(t, retryAfterSeconds) });
}

/**
 * Logs an unexpected error, once, under a new request id that the answer names. `where` is the
 * route's request, or a server action's name (`"bind.send"`), which has no request of its own.
 */
export function logUnexpected(where: NextRequest | string, error: unknown, fields: Record<string, unknown> = {}): string {
  const requestId = crypto.randomUUID();
  logger.error("request.unexpected", {
    requestId,
    ...(typeof where === "string" ? { action: where } : { method: where.method, path: where.nextUrl.pathname }),
    ...fields,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  return requestId;
}

/** The AppError an error stands for; anything else is logged and becomes `server_error`. */
function expectedOrLogged(request: NextRequest, error: unknown): { error: AppError; requestId?: string } {
  if (error instanceof AppError) return { error };
  return { error: new AppError("server_error"), requestId: logUnexpected(request, error) };
}

function retryHeaders(error: AppError): Record<string, string> {
  return error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {};
}

/** An error's message in `locale`: a sign-in error's own, else the request's. */
function messageOf(locale: Locale, code: ErrorCode): string {
  const t = translator(locale);
  return isLoginErrorCode(code) ? t(`error.${code}`) : t(`request.${code}`);
}

/**
 * A JSON failure: `{ error: code, message, retryAfterSeconds?, requestId?, attemptId? }`, the
 * message in the caller's language. `attemptId` names the sign-in attempt that failed (the page's
 * sign-in reference, as the error page's `attempt` parameter is for navigations), only when the
 * sign-in itself failed (WeChat refused a step, or we did): a refused request (already redeemed,
 * another browser's ticket) names no attempt.
 */
export function errorResponse(request: NextRequest, caught: unknown): NextResponse {
  const { error, requestId } = expectedOrLogged(request, caught);
  const locale = getLocaleOfCaller(request);
  const message = error.retryAfterSeconds ? retryMessage(locale, error.retryAfterSeconds) : messageOf(locale, error.code);
  return NextResponse.json(
    {
      error: error.code,
      message,
      ...(error.retryAfterSeconds ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
      ...(requestId ? { requestId } : {}),
      ...(error.attemptId && statusOf(error.code) >= 500 ? { attemptId: error.attemptId } : {}),
    },
    { status: statusOf(error.code), headers: { ...NO_STORE, ...retryHeaders(error) } },
  );
}

/**
 * A failed navigation: a sign-in failure goes to /login/error with its code (and where the
 * person was going); a refused limit is a short localized 429 page.
 */
export function errorPage(request: NextRequest, caught: unknown, options: { returnTo?: string | undefined } = {}): NextResponse {
  const { error, requestId } = expectedOrLogged(request, caught);
  if (error.code === "rate_limited" && error.retryAfterSeconds) {
    const locale = getLocaleOf(request.cookies);
    const html = `<!doctype html><html lang="${locale}"><meta charset="utf-8"><title>429</title><p role="alert">${retryMessage(locale, error.retryAfterSeconds)}</p><p><a href="/login">${translator(locale)("login.heading")}</a></p></html>`;
    return new NextResponse(html, { status: 429, headers: { "content-type": "text/html; charset=utf-8", ...NO_STORE, ...retryHeaders(error) } });
  }
  return NextResponse.redirect(new URL(loginErrorPath(error.code, { ...options, requestId, attemptId: error.attemptId }), publicOrigin(request)), 303);
}

/** The error page's path for a code. */
export function loginErrorPath(
  code: ErrorCode,
  options: { returnTo?: string | undefined; requestId?: string | undefined; attemptId?: string | undefined } = {},
): string {
  const params = new URLSearchParams({ reason: isLoginErrorCode(code) ? code : "server_error" });
  if (options.returnTo) params.set("returnTo", options.returnTo);
  if (options.requestId) params.set("ref", options.requestId);
  if (options.attemptId) params.set("attempt", options.attemptId);
  return `/login/error?${params}`;
}

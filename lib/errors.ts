/**
 * One error type for expected failures. `code` is a closed union so every code has a message
 * in each language (lib/i18n) and a next step; `detail` is for the server log only.
 */
import type { LoginErrorCode } from "@/lib/wechat/error-catalogue";

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: LoginErrorCode,
    readonly detail?: Record<string, unknown>,
  ) {
    super(code);
  }
}

/**
 * The browser-bound attempt of the OAuth surfaces (website QR, in-WeChat authorization): a
 * server-minted `state`, stored hashed with the browser binding's hash, single use, claimed
 * before its code is spent. Unlike the stock Auth.js provider, the state is minted here for
 * every form (the embedded iframe needs it before any redirect), and a surface is a small
 * object the shared callback (oauth-callback.ts) calls to learn who signed in.
 *
 * @see docs/wechat-protocol.md §A1, §B1
 */
import "server-only";
import { AppError } from "@/lib/errors";
import { createLoginState, takeEscalatedAttempt, type LoginMode } from "@/lib/db/login-states";
import type { WechatSignIn } from "@/lib/db/people";
import type { AppCredentials } from "@/lib/wechat/sns";
import type { SnsToken } from "@/lib/wechat/schemas";
import type { SignInMethod } from "./complete-sign-in";
import { countRateLimited } from "@/lib/telemetry";
import { openAttempt, recordStep, surfaceOfMode, withAttempt, type AttemptRef } from "./attempt";
import { loginLimits } from "./limits";

export const CALLBACK_PATH = "/api/wechat/callback";
/** A state outlives several QR refreshes on WeChat's page and the 10-minute code. */
const STATE_TTL_SECONDS = 30 * 60;
/** How soon after the silent scope escalated a consent state still continues its attempt. */
const ESCALATION_WINDOW_MS = 10 * 60_000;

/** What an OAuth surface tells the shared callback. */
export type OAuthSurface = {
  /** The sign-in history's name for this surface. */
  method: SignInMethod;
  /** The credentials of the app a state of this surface was minted for. */
  credentials(appId: string): AppCredentials | undefined;
  /**
   * Who signed in, from WeChat's token answer: a person to sign in, or `escalate` when the
   * silent scope met someone we don't know yet and consent is needed.
   */
  identify(token: SnsToken, app: AppCredentials): Promise<{ kind: "person"; person: WechatSignIn } | { kind: "escalate" }>;
};

/**
 * Mints a state for `mode` bound to this browser, within the per-browser and per-address limits
 * (one transaction: a refused limit writes nothing). The state is a new attempt (attempt.ts):
 * the caller records `shown` once it has built WeChat's URL.
 */
export async function startOAuthAttempt(input: {
  appId: string;
  mode: LoginMode;
  returnTo: string;
  bindingHash: string;
  ip: string | null;
  userAgent?: string | null | undefined;
}): Promise<{ state: string; expiresAt: Date; attempt: AttemptRef; continued: boolean }> {
  // The consent scope right after the silent one escalated is the same sign-in: same id, same trace.
  const carried =
    input.mode === "oa_userinfo" ? await takeEscalatedAttempt(input.bindingHash, input.appId, new Date(Date.now() - ESCALATION_WINDOW_MS)) : undefined;
  const { ref, ...attempt } = carried
    ? { ...carried, ref: { id: carried.attemptId, surface: "in_wechat" as const, traceParent: carried.traceParent, createdAt: carried.createdAt } }
    : openAttempt(surfaceOfMode(input.mode));
  return withAttempt(ref, async () => {
    const created = await createLoginState(
      {
        attemptId: attempt.attemptId,
        traceParent: attempt.traceParent,
        appId: input.appId,
        mode: input.mode,
        returnTo: input.returnTo,
        bindingHash: input.bindingHash,
        ttlSeconds: STATE_TTL_SECONDS,
        ip: input.ip,
        userAgent: input.userAgent,
      },
      loginLimits(input.bindingHash, input.ip),
    );
    if (!created.ok) {
      countRateLimited(created.bucket);
      recordStep(ref, "created", "failed", { reason: "rate_limited" });
      throw new AppError("rate_limited", { retryAfterSeconds: created.retryAfterSeconds, detail: { bucket: created.bucket } });
    }
    if (!carried) recordStep(ref, "created");
    return { state: created.state, expiresAt: created.expiresAt, attempt: ref, continued: carried !== undefined };
  });
}

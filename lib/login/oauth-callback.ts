/**
 * WeChat's redirect back to us, shared by the OAuth surfaces (website QR in both forms, and the
 * Official Account's web authorization on the same callback URL).
 *
 * The database work is one conditional claim of the state before the code is spent, and one
 * transaction after WeChat answers (complete-sign-in.ts). The code is exchanged with the
 * documented GET, every errcode keeps its identity up to the error page, and a duplicate
 * callback of a login that already succeeded signs the browser in instead of showing 40163.
 *
 * @see docs/wechat-protocol.md §A1–A5, §B1
 */
import "server-only";
import { sha256 } from "@/lib/crypto";
import type { WechatLoginState } from "@/lib/db/generated/client";
import { claimLoginState, findLoginState, markLoginEscalated, recordLoginOutcome, type LoginMode } from "@/lib/db/login-states";
import { createSessionForUser, SESSION_MAX_AGE_SECONDS } from "@/lib/db/sessions";
import { OUTCOME_SUCCESS } from "@/lib/db/sign-ins";
import { isAppError, isLoginErrorCode, type LoginErrorCode } from "@/lib/errors";
import { logUnexpected } from "@/lib/http";
import { logger } from "@/lib/logger";
import { WechatApiError } from "@/lib/wechat/api-client";
import { exchangeCode } from "@/lib/wechat/sns";
import { attemptOfState, recordFailedStep, recordStep, wechatFailureOf, withAttempt } from "./attempt";
import type { FunnelStep, StepOutcome } from "@/lib/telemetry";
import { completeSignIn, type BrowserContext } from "./complete-sign-in";
import { inWechatConsentSurface, inWechatSilentSurface } from "./in-wechat";
import type { OAuthSurface } from "./oauth-attempt";
import { websiteQrSurface } from "./website-qr";

/** How a duplicate callback waits for the first one to finish. */
const IN_FLIGHT_WAIT_MS = 10_000;
/** A duplicate may open a new session only this soon after the first (a lost answer, a double click). */
const DUPLICATE_SESSION_WINDOW_MS = 120_000;

/** Which surface finishes a state of each mode. */
const SURFACES: Record<LoginMode, OAuthSurface> = {
  embedded: websiteQrSurface,
  redirect: websiteQrSurface,
  oa_base: inWechatSilentSurface,
  oa_userinfo: inWechatConsentSurface,
};

export type CallbackInput = {
  code: string | undefined;
  state: string | undefined;
  /** sha256 of this browser's binding cookie, when it has a well-formed one. */
  bindingHash: string | undefined;
  /** The Auth.js user of this browser, if signed in already; asked only on the rare paths that need it. */
  currentUserId: () => Promise<string | undefined>;
  browser: BrowserContext;
};

export type CallbackOutcome =
  | { kind: "signed_in"; returnTo: string; session?: { token: string; expires: Date } }
  /** The silent scope met an unknown user: start again with the consent scope. */
  | { kind: "escalate"; scope: "snsapi_userinfo"; returnTo: string }
  /** `attemptId`: the attempt that failed, shown on the error page as the reference support looks up. */
  | { kind: "error"; code: LoginErrorCode; returnTo?: string; attemptId?: string };

/** The sign-in failure an error stands for (WeChat's errcodes and transport failures are AppErrors too). */
function errorCodeOf(error: unknown): LoginErrorCode | undefined {
  return isAppError(error) && isLoginErrorCode(error.code) ? error.code : undefined;
}

export async function completeOAuthCallback(input: CallbackInput): Promise<CallbackOutcome> {
  if (!input.state) return { kind: "error", code: "state_missing" };
  const codeHash = input.code ? sha256(input.code) : null;
  const claim = await claimLoginState(input.state, input.bindingHash, codeHash);
  switch (claim.kind) {
    case "unknown":
      logger.warn("wechat.callback.state_unknown");
      return { kind: "error", code: "state_invalid" };
    case "wrong_browser": {
      // The binding is rotated at each sign-in, so WeChat re-delivering the callback of the login
      // that just succeeded arrives with the new cookie: that browser is signed in, send it on.
      if (claim.row.outcome === OUTCOME_SUCCESS && claim.row.userId && claim.row.userId === (await input.currentUserId())) {
        return { kind: "signed_in", returnTo: claim.row.returnTo };
      }
      logger.warn("wechat.callback.state_wrong_browser", { appId: claim.row.appId });
      return { kind: "error", code: "state_wrong_browser" };
    }
    case "expired":
      recordStep(attemptOfState(claim.row), "code_exchanged", "expired");
      return { kind: "error", code: "state_expired", returnTo: claim.row.returnTo, attemptId: claim.row.attemptId };
    case "already_used":
      return resolveDuplicate(claim.row.id, codeHash, input);
    case "claimed":
      break;
  }
  const row = claim.row;
  return withAttempt(attemptOfState(row), () => finishClaimed(row, input));
}

/** The claimed state's one chance: exchange the code, learn who it is, sign in; the outcome is stored either way. */
async function finishClaimed(row: WechatLoginState, input: CallbackInput): Promise<CallbackOutcome> {
  const attempt = attemptOfState(row);
  let step: FunnelStep = "code_exchanged";
  const fail = async (code: LoginErrorCode, error?: unknown, outcome: StepOutcome = "failed"): Promise<CallbackOutcome> => {
    await recordLoginOutcome(row.id, `error:${code}`, wechatFailureOf(error));
    if (error) recordFailedStep(attempt, step, error, outcome);
    else recordStep(attempt, step, outcome, { reason: code });
    return { kind: "error", code, returnTo: row.returnTo, attemptId: attempt.id };
  };

  // WeChat's documented refusal: a redirect with the state and no code.
  if (!input.code) {
    step = "confirmed";
    return fail("cancelled", undefined, "denied");
  }
  const surface = SURFACES[row.mode as LoginMode];
  const app = surface?.credentials(row.appId);
  if (!surface || !app) return fail("unknown_app");

  try {
    const token = await exchangeCode(app, input.code);
    recordStep(attempt, "code_exchanged");
    step = "profile_fetched";
    // Identities from WeChat's snapshot page are virtual: never an account, never a merge.
    if (token.is_snapshotuser === 1) return fail("snapshot_user");
    const identified = await surface.identify(token, app);
    if (identified.kind === "escalate") {
      // Not an outcome: the attempt goes on in the consent state, which takes over its id (oauth-attempt.ts).
      await markLoginEscalated(row.id);
      return { kind: "escalate", scope: "snsapi_userinfo", returnTo: row.returnTo };
    }
    recordStep(attempt, "profile_fetched");
    step = "person_resolved";
    const signedIn = await completeSignIn({
      subject: identified.person,
      method: surface.method,
      attempt: { kind: "login_state", id: row.id },
      browser: input.browser,
      returnTo: row.returnTo,
    });
    recordStep(attempt, "person_resolved");
    recordStep(attempt, "signed_in");
    return { kind: "signed_in", returnTo: signedIn.landing, session: signedIn.session };
  } catch (error) {
    // A used code with a signed-in browser is a re-delivered callback, not a failure.
    if (error instanceof WechatApiError && error.errcode === 40163 && (await input.currentUserId())) {
      await recordLoginOutcome(row.id, "error:40163", wechatFailureOf(error));
      return { kind: "signed_in", returnTo: row.returnTo };
    }
    const code = errorCodeOf(error);
    if (code) return fail(code, error);
    logUnexpected("wechat.callback", error);
    return fail("server_error", error);
  }
}

/**
 * A second callback for a state this browser already used: WeChat re-redirecting, a double
 * click, or a prefetch. If the first succeeded the user is signed in (with a fresh session if
 * the first answer never reached the browser); a signed-in user never sees WeChat's 40163.
 */
async function resolveDuplicate(id: string, codeHash: string | null, input: CallbackInput): Promise<CallbackOutcome> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  let row = await findLoginState(id);
  while (row && row.outcome === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    row = await findLoginState(id);
  }
  if (!row) return { kind: "error", code: "state_invalid" };
  // Signed in already (as this user or, oddly, another): send on, never switch accounts here.
  if (await input.currentUserId()) return { kind: "signed_in", returnTo: row.returnTo };
  if (row.outcome === OUTCOME_SUCCESS && row.userId) {
    const isRecent = row.consumedAt !== null && Date.now() - row.consumedAt.getTime() < DUPLICATE_SESSION_WINDOW_MS;
    if (codeHash && row.codeHash === codeHash && isRecent) {
      const method = SURFACES[row.mode as LoginMode]?.method ?? "wechat:website";
      const session = await createSessionForUser(row.userId, { ...input.browser, method, maxAgeSeconds: SESSION_MAX_AGE_SECONDS });
      return { kind: "signed_in", returnTo: row.returnTo, session: { token: session.sessionToken, expires: session.expires } };
    }
  }
  const failed = row.outcome?.startsWith("error:") ? row.outcome.slice("error:".length) : undefined;
  return { kind: "error", code: failed && failed !== "40163" && isLoginErrorCode(failed) ? failed : "state_used", returnTo: row.returnTo };
}

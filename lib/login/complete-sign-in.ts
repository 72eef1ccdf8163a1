/**
 * The step every sign-in surface ends with: resolve the person (by unionid, or by the
 * (appid, openid) pair), open the Auth.js session, record the history line and the attempt's
 * outcome (one transaction, lib/db/sign-ins.ts), and decide where the browser lands.
 */
import "server-only";
import { isBindingOn } from "@/lib/contact-proof/due";
import { SESSION_MAX_AGE_SECONDS } from "@/lib/db/sessions";
import { signInWithWechat, type SignInAttempt, type SignInSubject } from "@/lib/db/sign-ins";
import { logger } from "@/lib/logger";
import { landingAfterSignIn } from "./landing";

/** How the person signed in, as the account page's history shows it. */
export type SignInMethod = "wechat:website" | "wechat:in-app" | "wechat:follow" | "wechat:mini-program";

/** The browser that is being signed in. */
export type BrowserContext = {
  userAgent: string | null;
  /** The trusted client address (lib/http.ts `clientIp`). */
  ip: string | null;
  /** This browser's session cookie, if any: a new sign-in ends that session. */
  previousSessionToken?: string | undefined;
};

export type SignedIn = {
  userId: string;
  createdUser: boolean;
  session: { token: string; expires: Date };
  /** Where to send the browser: `returnTo`, or /bind first. */
  landing: string;
  /** The display name, when asked for (shown on the computer after a follow-to-login). */
  name?: string | null;
};

export async function completeSignIn(input: {
  subject: SignInSubject;
  method: SignInMethod;
  attempt: SignInAttempt;
  browser: BrowserContext;
  returnTo: string;
  withName?: boolean;
}): Promise<SignedIn> {
  const result = await signInWithWechat(
    input.subject,
    { ...input.browser, method: input.method, maxAgeSeconds: SESSION_MAX_AGE_SECONDS },
    // The landing rule reads the user's contacts only when binding is on, and then in the same transaction.
    { attempt: input.attempt, withFacts: isBindingOn(), withName: input.withName ?? false },
  );
  logger.info("login.signed_in", { method: input.method, userId: result.userId, createdUser: result.createdUser });
  return {
    userId: result.userId,
    createdUser: result.createdUser,
    session: { token: result.sessionToken, expires: result.expires },
    landing: landingAfterSignIn(input.returnTo, result.facts),
    ...(input.withName ? { name: result.name ?? null } : {}),
  };
}

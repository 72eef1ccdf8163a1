"use server";

import { cookies, headers } from "next/headers";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { sessionCookieName } from "@/lib/auth/cookies";
import { sendBindCode, sessionProofHash, verifyBindCode, type SendResult, type VerifyResult } from "@/lib/contact-proof/codes";
import { deliverBindCode, notifyContactMoved } from "@/lib/contact-proof/deliver";
import { clientIpFromHeaders, logUnexpected, publicOriginFromHeaders } from "@/lib/http";
import { getLocale } from "@/lib/i18n/server";

const sendCodeSchema = z.object({ channel: z.enum(["phone", "email"]), target: z.string().max(320) }).strict();
export type SendCodeInput = z.infer<typeof sendCodeSchema>;

const verifyCodeSchema = z.object({ channel: z.enum(["phone", "email"]), target: z.string().max(320), code: z.string().max(16) }).strict();
export type VerifyCodeInput = z.infer<typeof verifyCodeSchema>;

/** Refused before any proof is looked at: signed out, a malformed call, or an unexpected failure (logged). */
type CallRefusal = { ok: false; error: "signed_out" | "invalid_input" | "server" };

/** A limit's refusal carries `retryIn` (seconds), which the form turns into "try again in …". */
export type SendCodeResult = SendResult | CallRefusal;
export type VerifyCodeResult = { ok: true; outcome: "bound" | "moved" } | Extract<VerifyResult, { ok: false }> | CallRefusal;

/** The proof a code is tied to: sha256 of this browser's Auth.js session token. */
async function currentSessionHash(): Promise<string | undefined> {
  return sessionProofHash((await cookies()).get(sessionCookieName())?.value);
}

/** Sends a binding code to a phone (SMS) or an email address, within the limits. */
export async function sendCodeAction(input: SendCodeInput): Promise<SendCodeResult> {
  const session = await auth();
  if (!session?.user?.id) return { ok: false, error: "signed_out" };
  const parsed = sendCodeSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "invalid_input" };
  const requestHeaders = await headers();
  const locale = await getLocale();
  try {
    return await sendBindCode({
      userId: session.user.id,
      sessionHash: await currentSessionHash(),
      channel: parsed.data.channel,
      rawTarget: parsed.data.target,
      ip: clientIpFromHeaders(requestHeaders),
      origin: publicOriginFromHeaders(requestHeaders),
      deliver: (message) => deliverBindCode(message, locale),
    });
  } catch (error) {
    logUnexpected("bind.send", error, { userId: session.user.id });
    return { ok: false, error: "server" };
  }
}

/** Checks a code typed in the browser that asked for it, then binds. */
export async function verifyCodeAction(input: VerifyCodeInput): Promise<VerifyCodeResult> {
  const session = await auth();
  if (!session?.user?.id) return { ok: false, error: "signed_out" };
  const parsed = verifyCodeSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: "invalid_input" };
  try {
    const result = await verifyBindCode({
      userId: session.user.id,
      sessionHash: await currentSessionHash(),
      channel: parsed.data.channel,
      rawTarget: parsed.data.target,
      code: parsed.data.code.trim(),
      ip: clientIpFromHeaders(await headers()),
      notify: notifyContactMoved(await getLocale()),
    });
    return result.ok ? { ok: true, outcome: result.outcome } : result;
  } catch (error) {
    logUnexpected("bind.verify", error, { userId: session.user.id });
    return { ok: false, error: "server" };
  }
}

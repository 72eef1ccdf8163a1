/**
 * The person picked a number in the mini program, and perhaps tapped WeChat's phone button:
 * `{token, pick, phoneCode?}`. The right number confirms the computer's sign-in; a wrong one
 * cancels it for good. Like the Official Account's confirm form, it takes no limit of its own: its
 * one credential is the scan's one-time 256-bit token, and the scan that issued it was limited.
 */
import type { NextRequest } from "next/server";
import { z } from "zod";
import { TOKEN_PATTERN } from "@/lib/crypto";
import { answerMiniProgram, miniProgramPreflight } from "@/lib/http/mini-program-api";
import { confirmFromMiniProgram } from "@/lib/login/mini-program";

export const dynamic = "force-dynamic";

const confirmSchema = z
  .object({
    token: z.string().regex(TOKEN_PATTERN),
    pick: z.string().regex(/^\d{2}$/),
    // The phone button's code: 64 hex digits as observed.
    phoneCode: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,128}$/)
      .optional(),
  })
  .strict();

export const OPTIONS = miniProgramPreflight;

export function POST(request: NextRequest) {
  return answerMiniProgram(request, confirmSchema, async ({ token, pick, phoneCode }, caller) => {
    return confirmFromMiniProgram({ token, pick, phoneCode, ip: caller.ip, locale: caller.locale });
  });
}

/**
 * The person picked a number in the mini program, and perhaps tapped WeChat's phone button:
 * `{token, pick, phoneCode?}`. The right number confirms the computer's sign-in; a wrong one
 * cancels it for good.
 */
import type { NextRequest } from "next/server";
import { z } from "zod";
import { TOKEN_PATTERN } from "@/lib/crypto";
import { AppError } from "@/lib/errors";
import { answerMiniProgram, miniProgramPreflight } from "@/lib/http/mini-program-api";
import { takeMiniProgramLimits } from "@/lib/login/limits";
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
    const limit = await takeMiniProgramLimits(token, caller.ip);
    if (!limit.ok) throw new AppError("rate_limited", { retryAfterSeconds: limit.retryAfterSeconds });
    return confirmFromMiniProgram({ token, pick, phoneCode, ip: caller.ip, locale: caller.locale });
  });
}

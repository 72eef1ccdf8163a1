/**
 * The mini program opened on a code (or a URL Link) and reports the scan: `{scene, code}` with
 * `wx.login`'s code. Answers what the page shows: which site and device ask, three numbers, and
 * whether to offer the one-tap phone; plus the one-time token for the confirm.
 */
import type { NextRequest } from "next/server";
import { z } from "zod";
import { describeDevice } from "@/lib/device";
import { AppError } from "@/lib/errors";
import { answerMiniProgram, miniProgramPreflight } from "@/lib/http/mini-program-api";
import { takeMiniProgramLimits } from "@/lib/login/limits";
import { scanFromMiniProgram } from "@/lib/login/mini-program";

export const dynamic = "force-dynamic";

const scanSchema = z
  .object({
    scene: z.string().min(1).max(64),
    // wx.login's code: 32 letters and digits as observed; accept a little more, never anything else.
    code: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
  })
  .strict();

export const OPTIONS = miniProgramPreflight;

export function POST(request: NextRequest) {
  return answerMiniProgram(request, scanSchema, async ({ scene, code }, caller) => {
    const limit = await takeMiniProgramLimits(scene, caller.ip);
    if (!limit.ok) throw new AppError("rate_limited", { retryAfterSeconds: limit.retryAfterSeconds });
    const view = await scanFromMiniProgram(scene, code);
    return {
      token: view.token,
      site: caller.host,
      device: { name: describeDevice(view.requestUserAgent) ?? null, ip: view.requestIp, time: view.createdAt.toISOString() },
      choices: view.choices,
      phoneOffer: view.phoneOffer,
      expiresIn: view.expiresIn,
    };
  });
}

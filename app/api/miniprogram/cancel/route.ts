/** The person tapped Cancel in the mini program: `{token}`. The computer's code reads cancelled. */
import type { NextRequest } from "next/server";
import { z } from "zod";
import { TOKEN_PATTERN } from "@/lib/crypto";
import { answerMiniProgram, miniProgramPreflight } from "@/lib/http/mini-program-api";
import { cancelFromMiniProgram } from "@/lib/login/mini-program";

export const dynamic = "force-dynamic";

const cancelSchema = z.object({ token: z.string().regex(TOKEN_PATTERN) }).strict();

export const OPTIONS = miniProgramPreflight;

export function POST(request: NextRequest) {
  return answerMiniProgram(request, cancelSchema, async ({ token }) => {
    await cancelFromMiniProgram(token);
    return { status: "cancelled" };
  });
}

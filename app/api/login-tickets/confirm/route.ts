/**
 * The phone's answer on the confirm page (a plain form post, so it works in any in-app browser):
 * a picked number or a cancel. The one-time token from the Official Account's reply is the only
 * credential; the answer is shown on /login/confirm.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { TOKEN_PATTERN } from "@/lib/crypto";
import { isAppError } from "@/lib/errors";
import { logUnexpected, publicOrigin } from "@/lib/http";
import { cancelTicket, confirmTicket } from "@/lib/login/follow-to-login";

export const dynamic = "force-dynamic";

const answerSchema = z.object({
  t: z.string().regex(TOKEN_PATTERN),
  code: z
    .string()
    .regex(/^\d{2}$/)
    .optional(),
  intent: z.enum(["confirm", "cancel"]),
});

export async function POST(request: NextRequest) {
  const form = await request.formData().catch(() => undefined);
  const parsed = answerSchema.safeParse({ t: form?.get("t"), code: form?.get("code") ?? undefined, intent: form?.get("intent") });
  let target = "/login/confirm?result=invalid";
  if (parsed.success) {
    const { t, code, intent } = parsed.data;
    try {
      if (intent === "cancel" || !code) {
        await cancelTicket(t);
        target = "/login/confirm?result=cancelled";
      } else {
        target = `/login/confirm?result=${(await confirmTicket(t, code)) === "confirmed" ? "confirmed" : "mismatch"}`;
      }
    } catch (error) {
      if (!isAppError(error) || !["not_found", "expired", "cancelled", "already_scanned", "not_confirmed"].includes(error.code)) {
        // Our side failed (WeChat's user/info, a busy database), not the link: nothing was
        // changed, so the person gets the same question again with a note to retry.
        logUnexpected(request, error);
        target = `/login/confirm?t=${t}&retry=1`;
      }
    }
  }
  const response = NextResponse.redirect(new URL(target, publicOrigin(request)), 303);
  response.headers.set("cache-control", "no-store");
  return response;
}

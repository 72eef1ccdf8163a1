/**
 * The phone's answer on the confirm page (a plain form post, so it works in any in-app browser):
 * a picked number or a cancel. The one-time token from the Official Account's reply is the only
 * credential; the answer is shown on /login/confirm.
 */
import { NextResponse, type NextRequest } from "next/server";
import { z } from "zod";
import { publicOrigin } from "@/lib/http";
import { cancelTicket, confirmTicket, TicketError } from "@/lib/login/tickets";
import { logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

const answerSchema = z.object({
  t: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  code: z.string().regex(/^\d{2}$/).optional(),
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
      if (!(error instanceof TicketError)) {
        // Our side failed (WeChat's user/info, a busy database), not the link: nothing was
        // changed, so the person gets the same question again with a note to retry.
        logger.error("login.confirm.failed", { error: error instanceof Error ? error.message : String(error) });
        target = `/login/confirm?t=${t}&retry=1`;
      }
    }
  }
  const response = NextResponse.redirect(new URL(target, publicOrigin(request)), 303);
  response.headers.set("cache-control", "no-store");
  return response;
}

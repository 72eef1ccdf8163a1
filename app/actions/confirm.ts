"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { cancelTicket, confirmTicket, TicketError } from "@/lib/login/tickets";
import { logger } from "@/lib/logger";

const confirmSchema = z.object({ t: z.string().regex(/^[A-Za-z0-9_-]{43}$/), code: z.string().regex(/^\d{2}$/).optional(), intent: z.enum(["confirm", "cancel"]) });

/** The phone's answer on the confirm page: a picked number, or cancel. */
export async function answerLoginConfirmation(formData: FormData): Promise<void> {
  const parsed = confirmSchema.safeParse({ t: formData.get("t"), code: formData.get("code") ?? undefined, intent: formData.get("intent") });
  if (!parsed.success) redirect("/login/confirm?result=invalid");
  const { t, code, intent } = parsed.data;
  let result: "confirmed" | "cancelled" | "mismatch" | "invalid";
  try {
    if (intent === "cancel" || !code) {
      await cancelTicket(t);
      result = "cancelled";
    } else {
      result = (await confirmTicket(t, code)) === "confirmed" ? "confirmed" : "mismatch";
    }
  } catch (error) {
    if (!(error instanceof TicketError)) logger.error("login.confirm.failed", { error: error instanceof Error ? error.message : String(error) });
    result = "invalid";
  }
  redirect(`/login/confirm?result=${result}`);
}

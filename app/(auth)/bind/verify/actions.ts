"use server";

import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { auth } from "@/lib/auth";
import { sessionCookieName } from "@/lib/auth/cookies";
import { confirmBindLink, sessionProofHash } from "@/lib/contact-proof/codes";
import { notifyContactMoved } from "@/lib/contact-proof/deliver";
import { clientIpFromHeaders } from "@/lib/http";
import { getLocale } from "@/lib/i18n/server";

const linkFormSchema = z.object({ token: z.string().max(64) });

function resultUrl(result: "bound" | "moved" | "other_browser" | "invalid"): string {
  return `/bind/verify?${new URLSearchParams({ result })}`;
}

/**
 * The button on the emailed link's page. Only this POST binds, and only in the browser (the
 * Auth.js session) that asked for the link; a GET of the link never does anything.
 */
export async function confirmLinkAction(formData: FormData): Promise<void> {
  const form = linkFormSchema.safeParse({ token: formData.get("token") });
  if (!form.success) redirect(resultUrl("invalid"));
  const session = await auth();
  if (!session?.user?.id) redirect(resultUrl("other_browser"));
  const result = await confirmBindLink(form.data.token, {
    userId: session.user.id,
    sessionHash: sessionProofHash((await cookies()).get(sessionCookieName())?.value),
    ip: clientIpFromHeaders(await headers()),
    notify: notifyContactMoved(await getLocale()),
  });
  if (result.ok) redirect(resultUrl(result.outcome));
  redirect(resultUrl(result.error === "other_browser" ? "other_browser" : "invalid"));
}

"use server";

import { z } from "zod";
import { requireOperatorAction } from "@/lib/admin/guard";
import { findAttempt } from "@/lib/db/attempts";
import { recordOperatorAction } from "@/lib/db/operators";
import { logUnexpected } from "@/lib/http";
import { getTranslator } from "@/lib/i18n/server";
import { explainRid } from "@/lib/wechat/diagnostics";

const formSchema = z.object({ attemptId: z.string().regex(/^[\w-]{1,64}$/) });

/** What the page shows of WeChat's answer, already in the operator's language. */
export type RidAnswer = { status: "idle" } | { status: "ok"; rows: { label: string; value: string; pre?: boolean }[] } | { status: "failed"; message: string };

/**
 * Asks WeChat (`rid/get`) about the attempt's rid. The rid is read from the stored attempt, never
 * taken from the form, and every request lands in the audit log with its result.
 */
export async function explainRidAction(_previous: RidAnswer, formData: FormData): Promise<RidAnswer> {
  const form = formSchema.safeParse({ attemptId: formData.get("attemptId") });
  const operator = await requireOperatorAction("admin.rid.explain", form.success ? `/admin/attempts/${form.data.attemptId}` : "/admin/attempts");
  const { locale, t } = await getTranslator();
  const audit = (outcome: string, detail: Record<string, string | number | null> = {}) =>
    recordOperatorAction({
      actorId: operator.id,
      action: "admin.rid.explain",
      ip: operator.ip,
      outcome,
      detail: { attemptId: form.data?.attemptId ?? null, ...detail },
    });
  if (!form.success) {
    await audit("invalid_request");
    return { status: "failed", message: t("admin.attempt.notFound") };
  }
  try {
    const attempt = await findAttempt(form.data.attemptId);
    if (!attempt?.rid) {
      await audit(attempt ? "no_rid" : "not_found", { userId: attempt?.userId ?? null });
      return { status: "failed", message: t(attempt ? "admin.attempt.noRid" : "admin.attempt.notFound") };
    }
    const answer = await explainRid(attempt.rid, { appId: attempt.appId });
    if (!answer.ok) {
      await audit(answer.errorCode, { rid: attempt.rid, errcode: answer.errcode ?? null });
      return { status: "failed", message: t("admin.rid.failed", { reason: `${t(`error.${answer.errorCode}`)} (${answer.errcode ?? answer.errorCode})` }) };
    }
    await audit("ok", { rid: attempt.rid });
    const when = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "Asia/Shanghai" });
    return {
      status: "ok",
      rows: [
        { label: t("admin.attempt.rid"), value: answer.rid },
        { label: t("admin.rid.invokeTime"), value: when.format(answer.invokeTime) },
        { label: t("admin.rid.cost"), value: t("admin.rid.costMs", { ms: answer.costInMs }) },
        { label: t("admin.rid.requestUrl"), value: answer.requestUrl },
        { label: t("admin.rid.requestBody"), value: answer.requestBody ?? "—", pre: true },
        { label: t("admin.rid.responseBody"), value: answer.responseBody, pre: true },
        { label: t("admin.rid.clientIp"), value: answer.clientIp },
      ],
    };
  } catch (error) {
    logUnexpected("admin.rid.explain", error, { attemptId: form.data.attemptId });
    await audit("error").catch(() => undefined);
    return { status: "failed", message: t("admin.notice.error") };
  }
}

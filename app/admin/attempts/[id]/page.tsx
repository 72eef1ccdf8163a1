import Link from "next/link";
import { requireOperator } from "@/lib/admin/guard";
import { idSchema } from "@/lib/admin/query";
import { findAttempt } from "@/lib/db/attempts";
import { describeDevice } from "@/lib/device";
import { describeLoginError, isLoginErrorCode } from "@/lib/errors";
import { getTranslator } from "@/lib/i18n/server";
import { AdminNav } from "../../admin-nav";
import { ExplainRid } from "./explain-rid";

export const dynamic = "force-dynamic";

export default async function AttemptPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const parsed = idSchema.safeParse(id);
  await requireOperator(parsed.success ? `/admin/attempts/${parsed.data}` : "/admin/attempts");
  const { locale, t } = await getTranslator();
  const attempt = parsed.success ? await findAttempt(parsed.data) : null;
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "Asia/Shanghai" });
  const when = (date: Date | null) => (date ? format.format(date) : "—");
  const known = attempt?.errorCode && isLoginErrorCode(attempt.errorCode) ? describeLoginError(attempt.errorCode) : undefined;

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="attempts" t={t} />
      <p>
        <Link href="/admin/attempts">{t("admin.attempt.back")}</Link>
      </p>
      {!attempt ? (
        <p className="notice error" role="status" data-testid="attempt-not-found">
          {t("admin.attempt.notFound")}
        </p>
      ) : (
        <>
          <h2>
            {t("admin.attempt.heading")} <code data-testid="attempt-id">{attempt.id}</code>
          </h2>
          <dl className="admin-kv" data-testid="attempt-facts" data-outcome={attempt.outcome}>
            <dt>{t("admin.filter.surface")}</dt>
            <dd>{t(`admin.surface.${attempt.surface}`)}</dd>
            <dt>{t("admin.attempt.app")}</dt>
            <dd>
              <code>{attempt.appId}</code>
            </dd>
            <dt>{t("admin.filter.outcome")}</dt>
            <dd data-testid="attempt-outcome">{t(`admin.outcome.${attempt.outcome}`)}</dd>
            <dt>{t("admin.attempts.error")}</dt>
            <dd>
              {attempt.errorCode ? <code>{attempt.errorCode}</code> : "—"}
              {attempt.errcode !== null && <span className="muted"> errcode {attempt.errcode}</span>}
            </dd>
            <dt>{t("admin.attempt.user")}</dt>
            <dd>{attempt.userId ? <Link href={`/admin/people/${encodeURIComponent(attempt.userId)}`}>{attempt.userId}</Link> : "—"}</dd>
            <dt>{t("admin.attempts.device")}</dt>
            <dd>{describeDevice(attempt.userAgent) ?? "—"}</dd>
            <dt>{t("admin.attempt.userAgent")}</dt>
            <dd className="muted">{attempt.userAgent ?? "—"}</dd>
            <dt>{t("admin.attempts.ip")}</dt>
            <dd data-testid="attempt-ip">{attempt.ip ?? "—"}</dd>
            <dt>{t("admin.attempt.rid")}</dt>
            <dd>
              <code data-testid="attempt-rid">{attempt.rid ?? "—"}</code>
            </dd>
            <dt>{t("admin.attempt.trace")}</dt>
            <dd>
              <code>{attempt.traceParent ?? "—"}</code>
            </dd>
          </dl>

          <h3>{t("admin.attempt.steps")}</h3>
          <table data-testid="attempt-steps">
            <tbody>
              {(
                [
                  ["created", attempt.createdAt],
                  ["scanned", attempt.scannedAt],
                  ["confirmed", attempt.confirmedAt],
                  ["finished", attempt.finishedAt],
                ] as const
              ).map(([step, at]) => (
                <tr key={step} data-step={step}>
                  <th scope="row">{t(`admin.attempt.step.${step}`)}</th>
                  <td className="nowrap">{at ? when(at) : step === "scanned" && attempt.surface === "website" ? t("admin.funnel.notReported") : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <div className="admin-explain">
            <section data-testid="rid-ours">
              <h3>{t("admin.rid.ours")}</h3>
              {known ? (
                <dl className="admin-kv">
                  <dt>{t("admin.failures.meaning")}</dt>
                  <dd data-testid="rid-ours-message">{t(known.message)}</dd>
                  <dt>{t("admin.failures.next")}</dt>
                  <dd>{t(`admin.next.${known.next}`)}</dd>
                </dl>
              ) : (
                <p className="muted">—</p>
              )}
            </section>
            {attempt.rid ? (
              <ExplainRid attemptId={attempt.id} labels={{ button: t("admin.rid.explain"), heading: t("admin.rid.wechat"), hint: t("admin.rid.hint") }} />
            ) : (
              <section>
                <h3>{t("admin.rid.wechat")}</h3>
                <p className="muted" data-testid="attempt-no-rid">
                  {t("admin.attempt.noRid")}
                </p>
              </section>
            )}
          </div>
        </>
      )}
    </div>
  );
}

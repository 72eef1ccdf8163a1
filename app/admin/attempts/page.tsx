import Link from "next/link";
import { requireOperator } from "@/lib/admin/guard";
import { redirect } from "next/navigation";
import { ATTEMPTS_PAGE_SIZE, idSchema, parseAttemptFilter, type SearchParams } from "@/lib/admin/query";
import { ATTEMPT_OUTCOMES, ATTEMPT_SURFACES, listAttempts } from "@/lib/db/attempts";
import { describeDevice } from "@/lib/device";
import { getTranslator } from "@/lib/i18n/server";
import { AdminNav, BadQuery } from "../admin-nav";

export const dynamic = "force-dynamic";

export default async function AttemptsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const filter = parseAttemptFilter(params);
  const query = new URLSearchParams(
    Object.entries({ outcome: filter.value.outcome, surface: filter.value.surface, errcode: filter.value.errcode }).flatMap(([key, value]) =>
      value === undefined ? [] : [[key, String(value)]],
    ),
  ).toString();
  await requireOperator(`/admin/attempts${query ? `?${query}` : ""}`);
  // The sign-in reference a person quotes from the error page opens that attempt.
  const reference = idSchema.safeParse(typeof params.id === "string" ? params.id.trim() : undefined);
  if (reference.success) redirect(`/admin/attempts/${encodeURIComponent(reference.data)}`);
  const { locale, t } = await getTranslator();
  const attempts = await listAttempts(filter.value);
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "Asia/Shanghai" });

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="attempts" t={t} />
      <BadQuery invalid={filter.invalid} t={t} />
      <h2>{t("admin.attempts.heading")}</h2>
      <form className="admin-filter" method="get" action="/admin/attempts" data-testid="attempt-filter">
        <label>
          {t("admin.filter.outcome")}
          <select name="outcome" defaultValue={filter.value.outcome ?? ""}>
            <option value="">{t("admin.filter.any")}</option>
            {ATTEMPT_OUTCOMES.map((outcome) => (
              <option key={outcome} value={outcome}>
                {t(`admin.outcome.${outcome}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("admin.filter.surface")}
          <select name="surface" defaultValue={filter.value.surface ?? ""}>
            <option value="">{t("admin.filter.any")}</option>
            {ATTEMPT_SURFACES.map((surface) => (
              <option key={surface} value={surface}>
                {t(`admin.surface.${surface}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("admin.filter.errcode")}
          <input name="errcode" inputMode="numeric" size={8} defaultValue={filter.value.errcode ?? ""} />
        </label>
        <button type="submit" className="btn secondary small">
          {t("admin.filter.apply")}
        </button>
      </form>
      <form className="admin-filter" method="get" action="/admin/attempts" data-testid="attempt-lookup">
        <label>
          {t("admin.attempts.reference")}
          <input name="id" size={20} autoComplete="off" />
        </label>
        <button type="submit" className="btn secondary small">
          {t("admin.attempts.lookup")}
        </button>
      </form>
      <p className="muted">{t("admin.attempts.hint", { limit: ATTEMPTS_PAGE_SIZE })}</p>
      {attempts.length === 0 ? (
        <p className="muted" data-testid="attempts-empty">
          {t("admin.attempts.empty")}
        </p>
      ) : (
        <div className="table-scroll">
          <table data-testid="attempts">
            <thead>
              <tr>
                <th>{t("admin.attempts.time")}</th>
                <th>{t("admin.filter.surface")}</th>
                <th>{t("admin.filter.outcome")}</th>
                <th>{t("admin.attempts.error")}</th>
                <th>{t("admin.attempts.device")}</th>
                <th>{t("admin.attempts.ip")}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt) => (
                <tr key={attempt.id} data-testid="attempt-row" data-id={attempt.id} data-outcome={attempt.outcome} data-errcode={attempt.errcode ?? ""}>
                  <td className="nowrap">{format.format(attempt.createdAt)}</td>
                  <td>{t(`admin.surface.${attempt.surface}`)}</td>
                  <td>{t(`admin.outcome.${attempt.outcome}`)}</td>
                  <td>
                    {attempt.errorCode ? <code>{attempt.errorCode}</code> : "—"}
                    {attempt.errcode !== null && String(attempt.errcode) !== attempt.errorCode && <span className="muted"> ({attempt.errcode})</span>}
                  </td>
                  <td>{describeDevice(attempt.userAgent) ?? "—"}</td>
                  <td>{attempt.ip ?? "—"}</td>
                  <td className="row-action">
                    <Link href={`/admin/attempts/${encodeURIComponent(attempt.id)}`} data-testid="attempt-open">
                      {t("admin.attempts.open")}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

import Link from "next/link";
import { funnelChart, seriesChart, type FunnelStep } from "@/lib/admin/charts";
import { formatElapsed, formatRate } from "@/lib/admin/format";
import { requireOperator } from "@/lib/admin/guard";
import { parsePeriod, periodWindow, PERIODS, type SearchParams } from "@/lib/admin/query";
import { readAttemptSeries, readFunnel, type FunnelRow } from "@/lib/db/attempts";
import { describeLoginError, isLoginErrorCode } from "@/lib/errors";
import { getTranslator } from "@/lib/i18n/server";
import type { Translate } from "@/lib/i18n/translate";
import { AdminNav, BadQuery } from "./admin-nav";

export const dynamic = "force-dynamic";

const STEPS = ["shown", "scanned", "confirmed", "signedIn"] as const;

/** Each step with its count and its conversion from the previous step WeChat told us about. */
function stepsOf(row: FunnelRow): { step: (typeof STEPS)[number]; value: number | null; rate: string }[] {
  let previous: number | null = null;
  return STEPS.map((step) => {
    const value = row[step];
    const rate = step === "shown" ? "" : formatRate(value, previous);
    if (value !== null) previous = value;
    return { step, value, rate };
  });
}

function funnelSteps(row: FunnelRow | undefined, t: Translate): FunnelStep[] {
  if (!row) return [];
  return stepsOf(row).map(({ step, value, rate }) => ({
    label: t(`admin.step.${step}`),
    value,
    note: value === null ? t("admin.funnel.notReported") : rate ? t("admin.funnel.note", { count: value, rate }) : String(value),
  }));
}

export default async function FunnelPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const period = parsePeriod(params);
  await requireOperator(`/admin?period=${period.value}`);
  const { locale, t } = await getTranslator();
  const { since, bucketMs } = periodWindow(period.value);
  const [funnel, series] = await Promise.all([readFunnel(since), readAttemptSeries(since, bucketMs)]);
  const total = funnel.rows.find((row) => row.surface === "all");
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: "Asia/Shanghai" });
  const bucketLabel = new Intl.DateTimeFormat(
    locale,
    bucketMs < 86_400_000 ? { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" } : { month: "numeric", day: "numeric", timeZone: "Asia/Shanghai" },
  );
  const funnelSvg = funnelChart(funnelSteps(total, t), { title: t("admin.funnel.chartTitle"), empty: t("admin.chart.empty") });
  const seriesSvg = seriesChart(
    series.map((point) => ({ label: bucketLabel.format(point.at), values: { shown: point.shown, signedIn: point.signedIn, failed: point.failed } })),
    (["shown", "signedIn", "failed"] as const).map((key) => ({ key, label: t(`admin.series.${key}`) })),
    { title: t("admin.series.title"), empty: t("admin.chart.empty") },
  );

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="funnel" t={t} />
      <BadQuery invalid={period.invalid} t={t} />
      <h2>{t("admin.funnel.heading")}</h2>
      <nav className="admin-tabs" data-testid="period-tabs">
        {(Object.keys(PERIODS) as (keyof typeof PERIODS)[]).map((key) => (
          <Link key={key} href={`/admin?period=${key}`} aria-current={key === period.value ? "page" : undefined} data-testid={`period-${key}`}>
            {t(`admin.period.${key}`)}
          </Link>
        ))}
      </nav>
      <p className="muted">{t("admin.funnel.hint", { since: when.format(since) })}</p>

      <div className="admin-charts">
        <figure data-testid="funnel-chart">
          <figcaption>{t("admin.funnel.chartTitle")}</figcaption>
          {/* Server-made SVG; every text in it is escaped by lib/admin/charts.ts. */}
          <div dangerouslySetInnerHTML={{ __html: funnelSvg }} />
        </figure>
        <figure data-testid="series-chart">
          <figcaption>{t("admin.series.title")}</figcaption>
          <div dangerouslySetInnerHTML={{ __html: seriesSvg }} />
        </figure>
      </div>

      <div className="table-scroll">
        <table data-testid="funnel-table">
          <thead>
            <tr>
              <th>{t("admin.funnel.surface")}</th>
              {STEPS.map((step) => (
                <th key={step}>{t(`admin.step.${step}`)}</th>
              ))}
              <th>{t("admin.funnel.failed")}</th>
              <th>{t("admin.funnel.conversion", { from: t("admin.step.shown"), to: t("admin.step.signedIn") })}</th>
              <th>{t("admin.funnel.medianScan")}</th>
              <th>{t("admin.funnel.medianConfirm")}</th>
            </tr>
          </thead>
          <tbody>
            {funnel.rows.map((row) => (
              <tr key={row.surface} data-testid="funnel-row" data-surface={row.surface}>
                <th scope="row">{t(`admin.surface.${row.surface}`)}</th>
                {stepsOf(row).map(({ step, value, rate }) => (
                  <td key={step} data-step={step} data-value={value ?? ""} title={value === null ? t("admin.funnel.notReported") : undefined}>
                    {value ?? "—"}
                    {rate && value !== null && <div className="muted">{rate}</div>}
                  </td>
                ))}
                <td data-step="failed" data-value={row.failed}>
                  {row.failed}
                </td>
                <td>{formatRate(row.signedIn, row.shown)}</td>
                <td className="nowrap">{formatElapsed(t, row.medianScanMs)}</td>
                <td className="nowrap">{formatElapsed(t, row.medianConfirmMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t("admin.failures.heading")}</h2>
      {funnel.failures.length === 0 ? (
        <p className="muted" data-testid="failures-empty">
          {t("admin.failures.empty")}
        </p>
      ) : (
        <div className="table-scroll">
          <table data-testid="failures">
            <thead>
              <tr>
                <th>{t("admin.failures.code")}</th>
                <th>{t("admin.failures.count")}</th>
                <th>{t("admin.failures.meaning")}</th>
                <th>{t("admin.failures.next")}</th>
              </tr>
            </thead>
            <tbody>
              {funnel.failures.map((failure) => {
                const known = isLoginErrorCode(failure.errorCode) ? describeLoginError(failure.errorCode) : undefined;
                const filter = failure.errcode === null ? `outcome=failed` : `errcode=${failure.errcode}`;
                return (
                  <tr
                    key={`${failure.errorCode}:${failure.errcode}`}
                    data-testid="failure-row"
                    data-code={failure.errorCode}
                    data-errcode={failure.errcode ?? ""}
                  >
                    <td className="nowrap">
                      <Link href={`/admin/attempts?${filter}`}>
                        <code>{failure.errorCode}</code>
                      </Link>
                      {failure.errcode !== null && String(failure.errcode) !== failure.errorCode && <span className="muted"> ({failure.errcode})</span>}
                    </td>
                    <td data-testid="failure-count">{failure.count}</td>
                    <td>{known ? t(known.message) : "—"}</td>
                    <td>{known ? t(`admin.next.${known.next}`) : "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

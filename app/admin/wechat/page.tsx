import { formatElapsed } from "@/lib/admin/format";
import { requireOperator } from "@/lib/admin/guard";
import { readWechatHealth } from "@/lib/admin/health";
import { WECHAT_EVENT_KINDS, type WechatEventKind } from "@/lib/db/wechat-events";
import { getTranslator } from "@/lib/i18n/server";
import { AdminNav } from "../admin-nav";

export const dynamic = "force-dynamic";

function isEventKind(kind: string): kind is WechatEventKind {
  return (WECHAT_EVENT_KINDS as readonly string[]).includes(kind);
}

export default async function WechatHealthPage() {
  await requireOperator("/admin/wechat");
  const { locale, t } = await getTranslator();
  const { tokens, refreshMarginMs, quotas, counts, recent } = await readWechatHealth();
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone: "Asia/Shanghai" });
  const margin = formatElapsed(t, refreshMarginMs);

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="wechat" t={t} />
      <h2>{t("admin.wechat.heading")}</h2>

      <h3>{t("admin.wechat.tokens")}</h3>
      <div className="table-scroll">
        <table data-testid="wechat-tokens">
          <thead>
            <tr>
              <th>{t("admin.wechat.app")}</th>
              <th>{t("admin.wechat.kind")}</th>
              <th>{t("admin.wechat.age")}</th>
              <th>{t("admin.wechat.nextRefresh")}</th>
              <th>{t("admin.wechat.expires")}</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((app) => (
              <tr key={app.appId} data-testid="wechat-token" data-appid={app.appId} data-fetched={app.token ? "yes" : "no"}>
                <td>
                  <code>{app.appId}</code>
                </td>
                <td>{t(app.kind === "official_account" ? "account.appOfficialAccount" : "account.appMiniProgram")}</td>
                {app.token ? (
                  <>
                    <td data-testid="token-age">{formatElapsed(t, app.token.ageMs)}</td>
                    <td>
                      {app.token.isRefreshDue
                        ? t("admin.wechat.refreshDue", { margin })
                        : t("admin.wechat.refreshIn", { time: format.format(app.token.refreshAt), margin })}
                    </td>
                    <td className="nowrap">{format.format(app.token.expiresAt)}</td>
                  </>
                ) : (
                  <td colSpan={3} className="muted">
                    {t("admin.wechat.noToken")}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h3>{t("admin.wechat.quota")}</h3>
      {quotas.length === 0 ? (
        <p className="muted" data-testid="wechat-quota-empty">
          {t("admin.wechat.quotaEmpty")}
        </p>
      ) : (
        <div className="table-scroll">
          <table data-testid="wechat-quota">
            <thead>
              <tr>
                <th>{t("admin.wechat.app")}</th>
                <th>{t("admin.wechat.endpoint")}</th>
                <th>{t("admin.wechat.dailyLimit")}</th>
                <th>{t("admin.wechat.used")}</th>
                <th>{t("admin.wechat.remain")}</th>
              </tr>
            </thead>
            <tbody>
              {quotas.map((quota) => (
                <tr key={`${quota.appId}${quota.endpoint}`} data-testid="wechat-quota-row" data-endpoint={quota.endpoint} data-ok={quota.ok ? "yes" : "no"}>
                  <td>
                    <code>{quota.appId}</code>
                  </td>
                  <td>
                    <code>{quota.endpoint}</code>
                  </td>
                  {quota.ok ? (
                    <>
                      <td>{quota.dailyLimit}</td>
                      <td>{quota.used}</td>
                      <td data-testid="quota-remain">{quota.remain}</td>
                    </>
                  ) : (
                    <td colSpan={3} className="muted">
                      {quota.status === "not_metered"
                        ? t("error.76021")
                        : t("admin.wechat.quotaFailed", { reason: `${t(`error.${quota.errorCode}`)} (${quota.errcode ?? quota.errorCode})` })}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>{t("admin.wechat.events")}</h3>
      {counts.length === 0 ? (
        <p className="muted" data-testid="wechat-events-empty">
          {t("admin.wechat.eventsEmpty")}
        </p>
      ) : (
        <div className="table-scroll">
          <table data-testid="wechat-events">
            <thead>
              <tr>
                <th>{t("admin.wechat.eventKind")}</th>
                <th>{t("admin.wechat.endpoint")}</th>
                <th>errcode</th>
                <th>{t("admin.wechat.count")}</th>
                <th>{t("admin.wechat.lastAt")}</th>
              </tr>
            </thead>
            <tbody>
              {counts.map((row) => (
                <tr key={`${row.kind}:${row.endpoint}:${row.errcode}`} data-testid="wechat-event-count" data-kind={row.kind}>
                  <td>{t(`admin.wechat.kind.${row.kind}`)}</td>
                  <td>{row.endpoint ? <code>{row.endpoint}</code> : "—"}</td>
                  <td>{row.errcode ?? "—"}</td>
                  <td>{row.count}</td>
                  <td className="nowrap">{format.format(row.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {recent.length > 0 && (
        <>
          <h3>{t("admin.wechat.recent")}</h3>
          <div className="table-scroll">
            <table data-testid="wechat-recent">
              <tbody>
                {recent.map((event) => (
                  <tr key={event.id}>
                    <td className="nowrap">{format.format(event.createdAt)}</td>
                    <td>{isEventKind(event.kind) ? t(`admin.wechat.kind.${event.kind}`) : event.kind}</td>
                    <td>{event.appId ? <code>{event.appId}</code> : "—"}</td>
                    <td>{event.endpoint ? <code>{event.endpoint}</code> : "—"}</td>
                    <td>{event.errcode ?? "—"}</td>
                    <td>
                      <code>{event.rid ?? ""}</code>
                    </td>
                    <td>{event.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

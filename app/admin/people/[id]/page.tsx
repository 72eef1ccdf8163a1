import Link from "next/link";
import { requireOperator } from "@/lib/admin/guard";
import { idSchema, type SearchParams } from "@/lib/admin/query";
import { maskTarget } from "@/lib/contact-proof/targets";
import { maskOpenid } from "@/lib/db/accounts";
import { listAttempts } from "@/lib/db/attempts";
import { getPersonOverview } from "@/lib/db/operators";
import { describeDevice } from "@/lib/device";
import { getTranslator } from "@/lib/i18n/server";
import { AdminNav } from "../../admin-nav";
import { endAllSessionsAction, endSessionAction, unlinkIdentityAction } from "./actions";
import { isPersonNoticeOk, personNoticeSchema } from "./notices";

export const dynamic = "force-dynamic";

const KNOWN_METHODS = ["wechat:website", "wechat:in-app", "wechat:follow", "wechat:mini-program"] as const;
type KnownMethod = (typeof KNOWN_METHODS)[number];

function methodLabel(method: string | null): `account.method.${KnownMethod}` | "account.method.other" {
  return (KNOWN_METHODS as readonly (string | null)[]).includes(method) ? `account.method.${method as KnownMethod}` : "account.method.other";
}

/** An audit entry's outcome, if it has one (operator actions do; the person's own do not). */
function outcomeOf(detail: unknown): string {
  return detail && typeof detail === "object" && "outcome" in detail && typeof detail.outcome === "string" ? detail.outcome : "—";
}

export default async function PersonPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  const { id } = await params;
  const parsed = idSchema.safeParse(id);
  await requireOperator(parsed.success ? `/admin/people/${parsed.data}` : "/admin/people");
  const { locale, t } = await getTranslator();
  const person = parsed.success ? await getPersonOverview(parsed.data) : undefined;
  const attempts = person?.user ? await listAttempts({ userId: person.user.id, limit: 20 }) : [];
  const notice = personNoticeSchema.safeParse((await searchParams).notice);
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: "Asia/Shanghai" });

  if (!person?.user) {
    return (
      <div className="card wide admin">
        <h1>{t("admin.title")}</h1>
        <AdminNav current="people" t={t} />
        <p className="notice error" role="status" data-testid="person-not-found">
          {t("admin.person.notFound")}
        </p>
      </div>
    );
  }
  const { user, identities, sessions, signIns, audit, canUnlink } = person;

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="people" t={t} />
      {notice.success && (
        <p className={`notice ${isPersonNoticeOk(notice.data) ? "ok" : "error"}`} role="status" data-testid="person-notice" data-notice={notice.data}>
          {t(`admin.notice.${notice.data}`)}
        </p>
      )}
      <h2 data-testid="person-name">{user.name ?? "—"}</h2>
      <dl className="admin-kv" data-testid="person-facts">
        <dt>{t("account.userId")}</dt>
        <dd>
          <code data-testid="person-id">{user.id}</code>
        </dd>
        <dt>{t("account.unionid")}</dt>
        <dd>
          <code>{user.unionid ?? t("account.noUnionid")}</code>
        </dd>
        <dt>{t("account.phone")}</dt>
        <dd data-testid="person-phone">{user.phone ? maskTarget("phone", user.phone) : "—"}</dd>
        <dt>{t("account.email")}</dt>
        <dd data-testid="person-email">{user.email ? maskTarget("email", user.email) : "—"}</dd>
        <dt>{t("admin.people.role")}</dt>
        <dd>{user.role === "operator" ? t("admin.role.operator") : "—"}</dd>
        <dt>{t("admin.people.created")}</dt>
        <dd>{format.format(user.createdAt)}</dd>
      </dl>

      <h3>{t("admin.person.identities")}</h3>
      <div className="table-scroll">
        <table data-testid="person-identities">
          <thead>
            <tr>
              <th>{t("account.app")}</th>
              <th>{t("account.openid")}</th>
              <th>{t("admin.people.name")}</th>
              <th>{t("account.firstSeen")}</th>
              <th>{t("account.lastSeen")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {identities.map((identity) => (
              <tr key={identity.id} data-testid="person-identity" data-appid={identity.appId}>
                <td>
                  <code>{identity.appId}</code>
                </td>
                <td>
                  <code className="nowrap">{maskOpenid(identity.openid)}</code>
                </td>
                <td>{identity.nickname ?? "—"}</td>
                <td className="nowrap">{format.format(identity.firstSeenAt)}</td>
                <td className="nowrap">{format.format(identity.lastSeenAt)}</td>
                <td className="row-action">
                  <form action={unlinkIdentityAction}>
                    <input type="hidden" name="userId" value={user.id} />
                    <input type="hidden" name="identityId" value={identity.id} />
                    <button
                      type="submit"
                      className="btn secondary small"
                      data-testid="person-unlink"
                      disabled={!canUnlink}
                      aria-describedby={canUnlink ? undefined : "person-unlink-hint"}
                    >
                      {t("account.unlink")}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!canUnlink && (
        <p className="muted table-note" id="person-unlink-hint">
          {t("admin.person.unlinkLast")}
        </p>
      )}

      <h3>{t("admin.person.sessions")}</h3>
      {sessions.length === 0 ? (
        <p className="muted" data-testid="person-no-sessions">
          {t("admin.person.noSessions")}
        </p>
      ) : (
        <>
          <div className="table-scroll">
            <table data-testid="person-sessions">
              <thead>
                <tr>
                  <th>{t("account.sessionDevice")}</th>
                  <th>{t("account.sessionMethod")}</th>
                  <th>{t("account.sessionIp")}</th>
                  <th>{t("account.sessionCreated")}</th>
                  <th>{t("account.sessionExpires")}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {sessions.map((session) => (
                  <tr key={session.id} data-testid="person-session" data-id={session.id}>
                    <td>{describeDevice(session.userAgent) ?? t("account.unknownDevice")}</td>
                    <td>{t(methodLabel(session.method))}</td>
                    <td>{session.ip ?? "—"}</td>
                    <td className="nowrap">{format.format(session.createdAt)}</td>
                    <td className="nowrap">{format.format(session.expires)}</td>
                    <td className="row-action">
                      <form action={endSessionAction}>
                        <input type="hidden" name="userId" value={user.id} />
                        <input type="hidden" name="sessionId" value={session.id} />
                        <button type="submit" className="btn secondary small danger" data-testid="person-end-session">
                          {t("admin.person.endSession")}
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <form action={endAllSessionsAction} className="actions">
            <input type="hidden" name="userId" value={user.id} />
            <button type="submit" className="btn secondary danger" data-testid="person-end-all">
              {t("admin.person.endAll")}
            </button>
          </form>
        </>
      )}

      <h3>{t("admin.person.attempts")}</h3>
      {attempts.length === 0 ? (
        <p className="muted">{t("admin.attempts.empty")}</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="person-attempts">
            <tbody>
              {attempts.map((attempt) => (
                <tr key={attempt.id}>
                  <td className="nowrap">{format.format(attempt.createdAt)}</td>
                  <td>{t(`admin.surface.${attempt.surface}`)}</td>
                  <td>{t(`admin.outcome.${attempt.outcome}`)}</td>
                  <td>{attempt.errorCode ? <code>{attempt.errorCode}</code> : "—"}</td>
                  <td className="row-action">
                    <Link href={`/admin/attempts/${encodeURIComponent(attempt.id)}`}>{t("admin.attempts.open")}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>{t("admin.person.signIns")}</h3>
      {signIns.length === 0 ? (
        <p className="muted">—</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="person-signins">
            <thead>
              <tr>
                <th>{t("account.historyTime")}</th>
                <th>{t("account.sessionMethod")}</th>
                <th>{t("account.sessionIp")}</th>
                <th>{t("account.sessionDevice")}</th>
              </tr>
            </thead>
            <tbody>
              {signIns.map((row) => (
                <tr key={row.id} data-testid="person-signin">
                  <td className="nowrap">{format.format(row.createdAt)}</td>
                  <td>{t(methodLabel(row.method))}</td>
                  <td>{row.ip ?? "—"}</td>
                  <td>{describeDevice(row.userAgent) ?? t("account.unknownDevice")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>{t("admin.person.audit")}</h3>
      {audit.length === 0 ? (
        <p className="muted">{t("admin.audit.empty")}</p>
      ) : (
        <div className="table-scroll">
          <table data-testid="person-audit">
            <thead>
              <tr>
                <th>{t("admin.audit.time")}</th>
                <th>{t("admin.audit.action")}</th>
                <th>{t("admin.audit.actor")}</th>
                <th>{t("admin.audit.outcome")}</th>
                <th>{t("account.sessionIp")}</th>
              </tr>
            </thead>
            <tbody>
              {audit.map((entry) => (
                <tr key={entry.id} data-testid="person-audit-row" data-action={entry.action}>
                  <td className="nowrap">{format.format(entry.createdAt)}</td>
                  <td>
                    <code>{entry.action}</code>
                    {entry.userId && entry.userId !== user.id && (
                      <>
                        {" → "}
                        <Link href={`/admin/people/${encodeURIComponent(entry.userId)}`}>{entry.userId}</Link>
                      </>
                    )}
                  </td>
                  <td>
                    {entry.actorId === null ? (
                      t(entry.action.startsWith("operator.") ? "admin.audit.system" : "admin.audit.self")
                    ) : entry.actorId === user.id ? (
                      t("admin.audit.self")
                    ) : (
                      <Link href={`/admin/people/${encodeURIComponent(entry.actorId)}`}>{entry.actorId}</Link>
                    )}
                  </td>
                  <td>{outcomeOf(entry.detail)}</td>
                  <td>{entry.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

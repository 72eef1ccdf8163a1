import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { sessionCookieName } from "@/lib/auth/cookies";
import { needsBinding } from "@/lib/contact-proof/codes";
import { listAccountEvents } from "@/lib/db/account-events";
import { getAccountOverview, listSignIns, maskOpenid, SIGN_IN_HISTORY_DAYS, SIGN_IN_HISTORY_LIMIT } from "@/lib/db/accounts";
import { describeDevice } from "@/lib/device";
import { getEnv } from "@/lib/env";
import { getTranslator } from "@/lib/i18n/server";
import { findWechatAppById } from "@/lib/wechat/apps";
import { revokeSessionAction, signOutAction, signOutEverywhereAction, unlinkIdentityAction } from "./actions";
import { BoundContacts } from "./bound-contacts";
import { accountNoticeSchema, isNoticeOk } from "./notices";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const KNOWN_METHODS = ["wechat:website", "wechat:in-app", "wechat:follow", "wechat:mini-program"] as const;
type KnownMethod = (typeof KNOWN_METHODS)[number];

function isKnownMethod(method: string | null): method is KnownMethod {
  return (KNOWN_METHODS as readonly (string | null)[]).includes(method);
}

function methodLabel(method: string | null): `account.method.${KnownMethod}` | "account.method.other" {
  return isKnownMethod(method) ? `account.method.${method}` : "account.method.other";
}

function appLabel(appId: string): "account.appOfficialAccount" | "account.appMiniProgram" | "account.appWeb" | "account.appWeb2" {
  const { wechat } = getEnv();
  if (wechat.officialAccounts.some((account) => account.appId === appId)) return "account.appOfficialAccount";
  if (wechat.miniPrograms.some((mp) => mp.appId === appId)) return "account.appMiniProgram";
  return findWechatAppById(appId)?.key === "web2" ? "account.appWeb2" : "account.appWeb";
}

export default async function AccountPage({ searchParams }: { searchParams: SearchParams }) {
  const session = await auth();
  if (!session?.user?.id) redirect("/login?returnTo=/account");
  const currentToken = (await cookies()).get(sessionCookieName())?.value;
  const [{ user, identities, sessions, canUnlink }, signIns, events] = await Promise.all([
    getAccountOverview(session.user.id, currentToken),
    listSignIns(session.user.id, SIGN_IN_HISTORY_DAYS, SIGN_IN_HISTORY_LIMIT),
    listAccountEvents(session.user.id, SIGN_IN_HISTORY_DAYS, SIGN_IN_HISTORY_LIMIT),
  ]);
  if (!user) redirect("/login");
  const { bind } = getEnv();
  // Required binding: nothing but /bind (and sign-out) until a phone or email is bound.
  if (await needsBinding(user.id)) redirect(`/bind?${new URLSearchParams({ returnTo: "/account" })}`);
  const { locale, t } = await getTranslator();
  const notice = accountNoticeSchema.safeParse((await searchParams).notice);
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: "Asia/Shanghai" });

  return (
    <div className="card wide">
      <h1>{t("account.heading")}</h1>
      {notice.success && (
        <p className={`notice ${isNoticeOk(notice.data) ? "ok" : "error"}`} role="status" data-testid="account-notice" data-notice={notice.data}>
          {t(`account.notice.${notice.data}`)}
        </p>
      )}
      <div className="profile">
        {/* eslint-disable-next-line @next/next/no-img-element -- WeChat's avatar, loaded by the browser under our CSP; the image optimizer would fetch users' avatars from our server. */}
        {user.image ? <img src={user.image} alt="" data-testid="avatar" /> : <div className="profile-placeholder" />}
        <div>
          <div className="muted">{t("account.nickname")}</div>
          <div data-testid="nickname">{user.name ?? "—"}</div>
          <div className="muted" style={{ marginTop: 8 }}>
            {t("account.userId")}
          </div>
          <code data-testid="user-id">{user.id}</code>
          <div className="muted" style={{ marginTop: 8 }}>
            {t("account.unionid")}
          </div>
          <code data-testid="unionid">{user.unionid ?? t("account.noUnionid")}</code>
          <BoundContacts phone={user.phone} email={user.email} channels={bind.mode === "off" ? [] : bind.channels} t={t} />
        </div>
      </div>

      <h2>{t("account.identities")}</h2>
      <div className="table-scroll">
        <table data-testid="identities">
          <thead>
            <tr>
              <th>{t("account.app")}</th>
              <th>{t("account.openid")}</th>
              <th>{t("account.firstSeen")}</th>
              <th>{t("account.lastSeen")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {identities.map((identity) => (
              <tr key={identity.id} data-testid="identity-row" data-appid={identity.appId}>
                <td>
                  {t(appLabel(identity.appId))} <code>{identity.appId}</code>
                </td>
                <td>
                  <code data-testid="openid" className="nowrap">
                    {maskOpenid(identity.openid)}
                  </code>
                </td>
                <td className="nowrap">{format.format(identity.firstSeenAt)}</td>
                <td className="nowrap">{format.format(identity.lastSeenAt)}</td>
                <td className="row-action">
                  <form action={unlinkIdentityAction}>
                    <input type="hidden" name="identityId" value={identity.id} />
                    <button
                      type="submit"
                      className="btn secondary small"
                      data-testid="unlink-identity"
                      disabled={!canUnlink}
                      aria-describedby={canUnlink ? undefined : "unlink-hint"}
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
        <p className="muted table-note" id="unlink-hint" data-testid="unlink-hint">
          {t("account.unlinkLastMethod")}
        </p>
      )}

      <h2>{t("account.sessions")}</h2>
      <div className="table-scroll">
        <table data-testid="sessions">
          <thead>
            <tr>
              <th>{t("account.sessionDevice")}</th>
              <th>{t("account.sessionMethod")}</th>
              <th>{t("account.sessionIp")}</th>
              <th>{t("account.sessionCreated")}</th>
              <th title={t("account.sessionLastActiveHint")}>{t("account.sessionLastActive")}</th>
              <th>{t("account.sessionExpires")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.map((row) => (
              <tr key={row.id} data-testid="session-row" data-current={row.isCurrent || undefined}>
                <td>
                  {describeDevice(row.userAgent) ?? t("account.unknownDevice")} {row.isCurrent && <span className="tag nowrap">{t("account.thisDevice")}</span>}
                </td>
                <td>{t(methodLabel(row.method))}</td>
                <td>{row.ip ?? "—"}</td>
                <td className="nowrap">{format.format(row.createdAt)}</td>
                <td className="nowrap">{format.format(row.lastActiveAt)}</td>
                <td className="nowrap">{format.format(row.expires)}</td>
                <td className="row-action">
                  <form action={revokeSessionAction}>
                    <input type="hidden" name="sessionId" value={row.id} />
                    <button type="submit" className="btn secondary small" data-testid="revoke-session">
                      {t("account.revokeSession")}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="actions">
        <form action={signOutAction}>
          <button type="submit" className="btn secondary" data-testid="sign-out">
            {t("account.signOut")}
          </button>
        </form>
        <form action={signOutEverywhereAction}>
          <button type="submit" className="btn secondary danger" data-testid="sign-out-everywhere">
            {t("account.signOutEverywhere")}
          </button>
        </form>
      </div>

      <h2>{t("account.history")}</h2>
      <p className="muted">{t("account.historyHint", { days: SIGN_IN_HISTORY_DAYS, limit: SIGN_IN_HISTORY_LIMIT })}</p>
      {signIns.length === 0 && events.length === 0 ? (
        <p className="muted" data-testid="signin-empty">
          {t("account.historyEmpty", { days: SIGN_IN_HISTORY_DAYS })}
        </p>
      ) : (
        <div className="table-scroll">
          <table data-testid="signins">
            <thead>
              <tr>
                <th>{t("account.historyTime")}</th>
                <th>{t("account.sessionMethod")}</th>
                <th>{t("account.sessionIp")}</th>
                <th>{t("account.sessionDevice")}</th>
              </tr>
            </thead>
            <tbody>
              {/* What others did to this account (a phone or email moved away) sits in the same history. */}
              {events.map((event) => (
                <tr key={event.id} data-testid="history-event" data-action={event.action}>
                  <td className="nowrap">{format.format(event.createdAt)}</td>
                  <td colSpan={3}>
                    {t(event.channel === "email" ? "account.event.contact.moved_away.email" : "account.event.contact.moved_away.phone", {
                      target: event.target ?? "—",
                    })}
                  </td>
                </tr>
              ))}
              {signIns.map((row) => (
                <tr key={row.id} data-testid="signin-row" data-method={row.method}>
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
    </div>
  );
}

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { signOutAction } from "@/app/actions/auth";
import { auth } from "@/lib/auth";
import { sessionCookieName } from "@/lib/auth/cookies";
import { getAccountOverview, maskOpenid } from "@/lib/db/accounts";
import { describeDevice } from "@/lib/device";
import { getTranslator } from "@/lib/i18n/server";
import { findWechatAppById } from "@/lib/wechat/apps";

export const dynamic = "force-dynamic";

export default async function AccountPage() {
  const session = await auth();
  if (!session?.user?.id) redirect("/login?returnTo=/account");
  const { user, identities, sessions } = await getAccountOverview(session.user.id);
  if (!user) redirect("/login");
  const { locale, t } = await getTranslator();
  const currentToken = (await cookies()).get(sessionCookieName())?.value;
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });

  return (
    <div className="card wide">
      <h1>{t("account.heading")}</h1>
      <div className="profile">
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
        </div>
      </div>

      <h2>{t("account.identities")}</h2>
      <table data-testid="identities">
        <thead>
          <tr>
            <th>{t("account.app")}</th>
            <th>{t("account.openid")}</th>
            <th>{t("account.firstSeen")}</th>
            <th>{t("account.lastSeen")}</th>
          </tr>
        </thead>
        <tbody>
          {identities.map((identity) => (
            <tr key={identity.id} data-testid="identity-row" data-appid={identity.appId}>
              <td>
                {t(findWechatAppById(identity.appId)?.key === "web2" ? "account.appWeb2" : "account.appWeb")} <code>{identity.appId}</code>
              </td>
              <td>
                <code data-testid="openid">{maskOpenid(identity.openid)}</code>
              </td>
              <td>{format.format(identity.firstSeenAt)}</td>
              <td>{format.format(identity.lastSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t("account.sessions")}</h2>
      <table data-testid="sessions">
        <thead>
          <tr>
            <th>{t("account.sessionDevice")}</th>
            <th>{t("account.sessionIp")}</th>
            <th>{t("account.sessionCreated")}</th>
            <th>{t("account.sessionExpires")}</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((row) => (
            <tr key={row.id} data-testid="session-row">
              <td>
                {describeDevice(row.userAgent) ?? t("account.unknownDevice")}{" "}
                {row.sessionToken === currentToken && <span className="tag">{t("account.thisDevice")}</span>}
              </td>
              <td>{row.ip ?? "—"}</td>
              <td>{format.format(row.createdAt)}</td>
              <td>{format.format(row.expires)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <form action={signOutAction}>
        <button type="submit" className="btn secondary" data-testid="sign-out">
          {t("account.signOut")}
        </button>
      </form>
    </div>
  );
}

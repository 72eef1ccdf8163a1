import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { safeReturnTo } from "@/lib/login/landing";
import { getEnv } from "@/lib/env";
import { pickMessages } from "@/lib/i18n/messages";
import { getTranslator } from "@/lib/i18n/server";
import { classifyBrowser } from "@/lib/wechat/browser";
import { EmbeddedQr } from "./embedded-qr";
import { LiveQr } from "./live-qr";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const returnTo = safeReturnTo(first(params.returnTo) ?? first(params.callbackUrl));
  const session = await auth();
  if (session?.user) redirect(returnTo);

  const env = getEnv();
  const hasOfficialAccount = Boolean(env.wechat.officialAccount);
  const hasWebsiteApp = env.wechat.apps.length > 0;
  const browser = classifyBrowser((await headers()).get("user-agent"));
  const oaLoginHref = `/api/wechat/oa/login?${new URLSearchParams({ returnTo })}`;
  // Inside WeChat on a phone there is nothing to scan: sign in through the Official Account,
  // unless the user just signed out (then they choose).
  if (browser === "wechat_mobile" && hasOfficialAccount && !first(params.signed_out)) redirect(oaLoginHref);

  const { locale, t } = await getTranslator();
  const requested = first(params.qr);
  const qrMode =
    requested === "official_account" && hasOfficialAccount ? "official_account" : requested === "website" && hasWebsiteApp ? "website" : env.wechat.loginQr;
  const hasSecondApp = env.wechat.apps.some((app) => app.key === "web2");
  const app = first(params.app) === "web2" && hasSecondApp ? "web2" : "web";
  const selfRedirect = first(params.self_redirect) === "true";
  const redirectHref = `/api/wechat/login?${new URLSearchParams({ app, returnTo, lang: locale })}`;
  const otherMode = qrMode === "website" ? (hasOfficialAccount ? "official_account" : undefined) : hasWebsiteApp ? "website" : undefined;

  return (
    <div className="card">
      <h1>{t("login.heading")}</h1>
      <p className="muted">{t("login.subtitle")}</p>
      {browser === "mobile" && (
        <p className="dev-hint" data-testid="open-in-wechat">
          {t("wechat.openInWechat")}
        </p>
      )}
      {(browser === "wechat_desktop" || browser === "wechat_mobile") && hasOfficialAccount && (
        <p>
          <a className="btn" href={oaLoginHref} data-testid="use-current-wechat">
            {t("wechat.useCurrentWechat")}
          </a>
        </p>
      )}
      {qrMode === "website" ? (
        <>
          <EmbeddedQr
            app={app}
            returnTo={returnTo}
            selfRedirect={selfRedirect}
            lang={locale}
            messages={pickMessages(locale, ["login.validFor", "login.expired", "login.refresh", "login.loading", "login.loadFailed"])}
          />
          <p className="muted">
            {t("login.redirectHint")}{" "}
            <a href={redirectHref} data-testid="redirect-login">
              {t("login.redirectLink")}
            </a>
          </p>
        </>
      ) : (
        <LiveQr returnTo={returnTo} messages={pickMessages(locale, ["live."])} />
      )}
      {otherMode && (
        <p className="muted">
          <a href={`/login?${new URLSearchParams({ qr: otherMode, returnTo })}`} data-testid="switch-qr">
            {t(otherMode === "website" ? "login.useWebsiteQr" : "login.useOfficialAccountQr")}
          </a>
        </p>
      )}
      {env.wechat.usesEmulator && (
        <div className="dev-hint">
          {t("login.emulatorHint")}{" "}
          <a href={`${env.wechat.openBaseUrl}/phone`} target="_blank" rel="noreferrer">
            {t("login.emulatorPhone")}
          </a>
          {qrMode === "website" && hasSecondApp && app !== "web2" && (
            <>
              {" · "}
              <a href={`/login?${new URLSearchParams({ app: "web2", returnTo })}`}>{t("login.otherApp")}</a>
            </>
          )}
        </div>
      )}
    </div>
  );
}

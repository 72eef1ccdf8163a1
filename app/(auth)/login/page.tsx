import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { safeReturnTo } from "@/lib/login/landing";
import { getEnv } from "@/lib/env";
import { pickMessages } from "@/lib/i18n/messages";
import { getTranslator } from "@/lib/i18n/server";
import { classifyBrowser } from "@/lib/wechat/browser";
import { findMiniProgram } from "@/lib/login/mini-program";
import { findWechatApp } from "@/lib/wechat/apps";
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
  const browser = classifyBrowser((await headers()).get("user-agent"));
  const oaLoginHref = `/api/wechat/oa/login?${new URLSearchParams({ returnTo })}`;
  // Inside WeChat on a phone there is nothing to scan: sign in through the Official Account,
  // unless the user just signed out (then they choose).
  if (browser === "wechat_mobile" && hasOfficialAccount && !first(params.signed_out)) redirect(oaLoginHref);

  const { locale, t } = await getTranslator();
  const surfaces = env.wechat.surfaces;
  const requested = first(params.qr);
  const surface = surfaces.find((candidate) => candidate === requested) ?? surfaces[0] ?? "website";
  const hasSecondApp = env.wechat.apps.some((app) => app.key === "web2");
  // Any configured website app by its key (web, web2, or one of WECHAT_APPS); the first otherwise.
  const app = findWechatApp(first(params.app))?.key ?? findWechatApp(undefined)?.key ?? "web";
  const mp = findMiniProgram(first(params.mp))?.key;
  const selfRedirect = first(params.self_redirect) === "true";
  const redirectHref = `/api/wechat/login?${new URLSearchParams({ app, returnTo, lang: locale })}`;
  const others = surfaces.filter((candidate) => candidate !== surface);
  const switchLabel = { website: "login.useWebsiteQr", mini_program: "login.useMiniProgramQr", official_account: "login.useOfficialAccountQr" } as const;

  return (
    <div className="card">
      <h1>{t("login.heading")}</h1>
      <p className="muted">{t("login.subtitle")}</p>
      {browser === "mobile" && surface !== "mini_program" && (
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
      {surface === "website" ? (
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
        <LiveQr
          key={`${surface}:${mp ?? ""}`}
          returnTo={returnTo}
          surface={surface}
          mp={surface === "mini_program" ? mp : undefined}
          sameDevice={browser === "mobile"}
          messages={pickMessages(locale, ["live.", "mp.", "loginError.attempt"])}
        />
      )}
      {others.map((other) => (
        <p className="muted" key={other}>
          <a href={`/login?${new URLSearchParams({ qr: other, returnTo })}`} data-testid={`switch-qr-${other}`}>
            {t(switchLabel[other])}
          </a>
        </p>
      ))}
      {env.wechat.usesEmulator && (
        <div className="dev-hint">
          {t("login.emulatorHint")}{" "}
          <a href={`${env.wechat.openBaseUrl}/phone`} target="_blank" rel="noreferrer">
            {t("login.emulatorPhone")}
          </a>
          {surface === "website" && hasSecondApp && app !== "web2" && (
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

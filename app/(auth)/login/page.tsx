import { redirect } from "next/navigation";
import { auth } from "@/lib/auth";
import { safeReturnTo } from "@/lib/auth/return-to";
import { getEnv } from "@/lib/env";
import { getTranslator } from "@/lib/i18n/server";
import { EmbeddedQr } from "./embedded-qr";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const returnTo = safeReturnTo(first(params.returnTo) ?? first(params.callbackUrl));
  const session = await auth();
  if (session?.user) redirect(returnTo);

  const { locale, t } = await getTranslator();
  const env = getEnv();
  const hasSecondApp = env.wechat.apps.some((app) => app.key === "web2");
  const app = first(params.app) === "web2" && hasSecondApp ? "web2" : "web";
  const selfRedirect = first(params.self_redirect) === "true";
  const redirectHref = `/api/wechat/login?${new URLSearchParams({ app, returnTo, lang: locale })}`;

  return (
    <div className="card">
      <h1>{t("login.heading")}</h1>
      <p className="muted">{t("login.subtitle")}</p>
      <EmbeddedQr
        app={app}
        returnTo={returnTo}
        selfRedirect={selfRedirect}
        lang={locale}
        labels={{
          validFor: t("login.validFor"),
          expired: t("login.expired"),
          refresh: t("login.refresh"),
          loading: t("login.loading"),
          loadFailed: t("login.loadFailed"),
        }}
      />
      <p className="muted">
        {t("login.redirectHint")}{" "}
        <a href={redirectHref} data-testid="redirect-login">
          {t("login.redirectLink")}
        </a>
      </p>
      {env.wechat.usesEmulator && (
        <div className="dev-hint">
          {t("login.emulatorHint")}{" "}
          <a href={`${env.wechat.openBaseUrl}/phone`} target="_blank" rel="noreferrer">
            {t("login.emulatorPhone")}
          </a>
          {hasSecondApp && app !== "web2" && (
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

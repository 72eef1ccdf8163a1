import { safeReturnTo } from "@/lib/login/landing";
import { getTranslator } from "@/lib/i18n/server";
import { describeLoginError, isLoginErrorCode, type LoginErrorCode } from "@/lib/wechat/error-catalogue";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Every failed sign-in lands here: the message in the user's language and the next step. */
export default async function LoginErrorPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const reason = first(params.reason) ?? "";
  // Auth.js's own error redirect (`?error=...`, stock provider only) has no finer detail.
  const code: LoginErrorCode = isLoginErrorCode(reason) ? reason : "server_error";
  const entry = describeLoginError(code);
  const { locale, t } = await getTranslator();
  const returnTo = safeReturnTo(first(params.returnTo));
  const retryHref = `/login?${new URLSearchParams({ returnTo })}`;
  return (
    <div className="card" data-testid="login-error" data-reason={code}>
      <div className="error-icon" aria-hidden>!</div>
      <h1>{t("error.heading")}</h1>
      <p data-testid="error-message">{locale === "en" ? entry.en : entry.zh}</p>
      <p className="muted">{t("error.code", { code })}</p>
      <p>
        <a className="btn" href={retryHref} data-testid="error-next" data-next={entry.next}>
          {t(`error.next.${entry.next}`)}
        </a>
      </p>
      {entry.next === "contact_site" && <p className="muted">{t("error.contactHint")}</p>}
    </div>
  );
}

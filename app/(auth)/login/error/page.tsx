import { safeReturnTo } from "@/lib/login/landing";
import { getTranslator } from "@/lib/i18n/server";
import { describeLoginError, isLoginErrorCode, type LoginErrorCode } from "@/lib/errors";

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
  const { t } = await getTranslator();
  const returnTo = safeReturnTo(first(params.returnTo));
  // The id an unexpected failure was logged under (lib/http/respond.ts), for support to find it.
  const requestId = /^[0-9a-f-]{36}$/.test(first(params.ref) ?? "") ? first(params.ref) : undefined;
  // The sign-in attempt that failed (lib/login/attempt.ts): support opens it at /admin/attempts/<id>.
  const attemptId = /^[\w-]{8,64}$/.test(first(params.attempt) ?? "") ? first(params.attempt) : undefined;
  const retryHref = `/login?${new URLSearchParams({ returnTo })}`;
  return (
    <div className="card" data-testid="login-error" data-reason={code}>
      <div className="error-icon" aria-hidden>
        !
      </div>
      <h1>{t("loginError.heading")}</h1>
      <p data-testid="error-message">{t(entry.message)}</p>
      <p className="muted">{t("loginError.code", { code })}</p>
      {requestId && (
        <p className="muted" data-testid="error-reference">
          {t("loginError.reference", { ref: requestId })}
        </p>
      )}
      {attemptId && (
        <p className="muted" data-testid="error-attempt">
          {t("loginError.attempt", { ref: attemptId })}
        </p>
      )}
      <p>
        <a className="btn" href={retryHref} data-testid="error-next" data-next={entry.next}>
          {t(`loginError.next.${entry.next}`)}
        </a>
      </p>
      {entry.next === "contact_site" && <p className="muted">{t("loginError.contactHint")}</p>}
    </div>
  );
}

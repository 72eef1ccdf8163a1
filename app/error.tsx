"use client";

/**
 * A page that failed on the server: a generic message in the visitor's language and the digest
 * Next logged the error under. The detail stays in the server log.
 */
import { useSyncExternalStore } from "react";
import { en, zh } from "@/lib/i18n/messages/fatal";
import { createTranslator } from "@/lib/i18n/translate";

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  // The root layout wrote the visitor's locale on <html lang>; the server's first render is zh-CN.
  const lang = useSyncExternalStore(
    () => () => {},
    () => document.documentElement.lang,
    () => "zh-CN",
  );
  const t = createTranslator<keyof typeof zh>(lang === "en" ? en : zh);
  return (
    <div className="card" data-testid="fatal-error">
      <div className="error-icon" aria-hidden>
        !
      </div>
      <h1>{t("fatal.heading")}</h1>
      <p>{t("fatal.body")}</p>
      {error.digest && <p className="muted">{t("fatal.reference", { ref: error.digest })}</p>}
      <p>
        <button className="btn" type="button" onClick={reset}>
          {t("fatal.retry")}
        </button>
      </p>
    </div>
  );
}

import type { Metadata } from "next";
import { describeDevice } from "@/lib/device";
import { getTranslator } from "@/lib/i18n/server";
import { isToken } from "@/lib/crypto";
import { isAppError } from "@/lib/errors";
import { getConfirmView } from "@/lib/login/follow-to-login";

// The link carries a one-time capability; keep it out of Referer headers.
export const metadata: Metadata = { referrer: "no-referrer" };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Opened on the phone, from the link the Official Account sent after the scan. */
export default async function ConfirmPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const { locale, t } = await getTranslator();
  const result = first(params.result);
  if (result === "confirmed" || result === "cancelled" || result === "mismatch") {
    return (
      <div className="card" data-testid="confirm-result" data-result={result}>
        <h1>{t("confirm.heading")}</h1>
        <p>{t(`confirm.done.${result}`)}</p>
      </div>
    );
  }
  const token = first(params.t) ?? "";
  let view;
  try {
    view = isToken(token) ? await getConfirmView(token) : undefined;
  } catch (error) {
    if (!isAppError(error, "not_found")) throw error;
  }
  if (!view || view.status !== "scanned") {
    return (
      <div className="card" data-testid="confirm-result" data-result="invalid">
        <h1>{t("confirm.heading")}</h1>
        <p>{t("confirm.invalid")}</p>
      </div>
    );
  }
  const time = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Shanghai" }).format(view.createdAt);
  return (
    <div className="card" data-testid="confirm-page">
      <h1>{t("confirm.heading")}</h1>
      {params.retry !== undefined && (
        <p className="notice error" role="alert" data-testid="confirm-retry">
          {t("confirm.retry")}
        </p>
      )}
      <p>{t("confirm.asking")}</p>
      <div className="details">
        <div>
          {t("confirm.device")}: <span data-testid="confirm-device">{describeDevice(view.requestUserAgent) ?? "—"}</span>
        </div>
        <div>
          {t("confirm.ip")}: <span data-testid="confirm-ip">{view.requestIp ?? "—"}</span>
        </div>
        <div>
          {t("confirm.time")}: {time}
        </div>
      </div>
      <p>{t("confirm.pick")}</p>
      <form action="/api/login-tickets/confirm" method="post">
        <input type="hidden" name="t" value={token} />
        <input type="hidden" name="intent" value="confirm" />
        <div className="choices">
          {view.choices.map((choice) => (
            <button key={choice} type="submit" name="code" value={choice} data-testid="confirm-choice">
              {choice}
            </button>
          ))}
        </div>
      </form>
      <p className="warning">{t("confirm.warning")}</p>
      <form action="/api/login-tickets/confirm" method="post">
        <input type="hidden" name="t" value={token} />
        <input type="hidden" name="intent" value="cancel" />
        <button type="submit" className="btn secondary" data-testid="confirm-cancel">
          {t("confirm.cancel")}
        </button>
      </form>
    </div>
  );
}

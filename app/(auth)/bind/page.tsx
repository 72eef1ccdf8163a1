import { redirect } from "next/navigation";
import { signOutAction } from "@/app/(account)/account/actions";
import { auth } from "@/lib/auth";
import { safeReturnTo } from "@/lib/login/landing";
import { listAccountEvents } from "@/lib/db/account-events";
import { getEnv } from "@/lib/env";
import { pickMessages } from "@/lib/i18n/messages";
import { getTranslator } from "@/lib/i18n/server";
import { BindForm } from "./bind-form";

export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** First-login binding ("首次使用微信登录，需绑定手机号或邮箱"), and adding one later from /account. */
export default async function BindPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const returnTo = safeReturnTo(Array.isArray(params.returnTo) ? params.returnTo[0] : params.returnTo);
  const session = await auth();
  if (!session?.user?.id) redirect(`/login?${new URLSearchParams({ returnTo: "/bind" })}`);
  const { bind } = getEnv();
  if (bind.mode === "off") redirect(returnTo);
  const { locale, t } = await getTranslator();
  // In required mode an account whose contact moved away lands here, not on /account: say why.
  const [moved] = await listAccountEvents(session.user.id, 90, 1);
  return (
    <div className="card" data-testid="bind-page" data-mode={bind.mode}>
      <h1>{t("bind.heading")}</h1>
      <p className="muted">{t(bind.mode === "required" ? "bind.requiredIntro" : "bind.optionalIntro")}</p>
      {moved && (
        <p className="warning" data-testid="bind-moved-away">
          {t(moved.channel === "email" ? "account.event.contact.moved_away.email" : "account.event.contact.moved_away.phone", { target: moved.target ?? "—" })}
        </p>
      )}
      <BindForm channels={bind.channels} returnTo={returnTo} emailLink={bind.emailLink} messages={pickMessages(locale, ["bind.", "duration."])} />
      <div className="bind-footer">
        {bind.mode === "optional" && (
          <a href={returnTo} data-testid="bind-skip">
            {t("bind.skip")}
          </a>
        )}
        <form action={signOutAction}>
          <button type="submit" className="link-button" data-testid="bind-sign-out">
            {t("bind.signOut")}
          </button>
        </form>
      </div>
    </div>
  );
}

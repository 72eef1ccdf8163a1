import type { Metadata } from "next";
import { verifyBindLink } from "@/lib/bind/codes";
import { getTranslator } from "@/lib/i18n/server";

export const metadata: Metadata = { referrer: "no-referrer" };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The link in the binding email. */
export default async function BindLinkPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const token = (Array.isArray(params.token) ? params.token[0] : params.token) ?? "";
  const { t } = await getTranslator();
  const result = await verifyBindLink(token, null);
  const message = result.ok === true ? t(result.outcome === "merged" ? "bind.linkMerged" : "bind.linkBound") : result.ok === "choose" ? t("bind.linkChoose") : t("bind.linkInvalid");
  return (
    <div className="card" data-testid="bind-link-result" data-result={result.ok === true ? result.outcome : result.ok === "choose" ? "choose" : "invalid"}>
      <h1>{t("bind.linkHeading")}</h1>
      <p>{message}</p>
      <a className="btn" href="/account">
        OK
      </a>
    </div>
  );
}

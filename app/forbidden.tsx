import Link from "next/link";
import { getTranslator } from "@/lib/i18n/server";

/** The 403 page (`forbidden()`): a signed-in person without the role a page needs (the operator console). */
export default async function Forbidden() {
  const { t } = await getTranslator();
  return (
    <div className="card" data-testid="forbidden">
      <h1>{t("admin.forbidden.heading")}</h1>
      <p className="muted">{t("admin.forbidden.body")}</p>
      <p>
        <Link href="/">{t("admin.forbidden.home")}</Link>
      </p>
    </div>
  );
}

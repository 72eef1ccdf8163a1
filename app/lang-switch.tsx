import { getTranslator } from "@/lib/i18n/server";
import { setLocale } from "./lang-switch-action";

export async function LangSwitch() {
  const { locale, t } = await getTranslator();
  return (
    <form action={setLocale} className="lang-switch">
      <input type="hidden" name="locale" value={locale === "en" ? "zh-CN" : "en"} />
      <button type="submit" data-testid="lang-switch">
        {t("lang.switchTo")}
      </button>
    </form>
  );
}

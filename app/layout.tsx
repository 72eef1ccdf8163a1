import type { Metadata } from "next";
import type { ReactNode } from "react";
import { getTranslator } from "@/lib/i18n/server";
import { LangSwitch } from "./lang-switch";
import "./globals.css";

export async function generateMetadata(): Promise<Metadata> {
  const { t } = await getTranslator();
  return { title: t("app.title") };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const { locale, t } = await getTranslator();
  return (
    <html lang={locale}>
      <body>
        <header className="topbar">
          <span className="brand">{t("app.title")}</span>
          <LangSwitch />
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

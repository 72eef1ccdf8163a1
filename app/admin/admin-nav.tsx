import Link from "next/link";
import type { Translate } from "@/lib/i18n/translate";

const SECTIONS = [
  { key: "funnel", href: "/admin" },
  { key: "attempts", href: "/admin/attempts" },
  { key: "people", href: "/admin/people" },
  { key: "wechat", href: "/admin/wechat" },
] as const;

export type AdminSection = (typeof SECTIONS)[number]["key"];

/** The console's sections; the current one is marked for the eye and for screen readers. */
export function AdminNav({ current, t }: { current: AdminSection; t: Translate }) {
  return (
    <nav className="admin-nav" aria-label={t("admin.title")} data-testid="admin-nav">
      {SECTIONS.map((section) => (
        <Link key={section.key} href={section.href} aria-current={section.key === current ? "page" : undefined}>
          {t(`admin.nav.${section.key}`)}
        </Link>
      ))}
    </nav>
  );
}

/** The localized "bad filter" line of a page whose query string had values it dropped. */
export function BadQuery({ invalid, t }: { invalid: string[]; t: Translate }) {
  if (invalid.length === 0) return null;
  return (
    <p className="notice error" role="status" data-testid="admin-bad-query">
      {t("admin.badQuery", { fields: invalid.join(", ") })}
    </p>
  );
}

import Link from "next/link";
import { requireOperator } from "@/lib/admin/guard";
import { peopleQuerySchema, type SearchParams } from "@/lib/admin/query";
import { maskTarget, normalizePhone } from "@/lib/contact-proof/targets";
import { PEOPLE_SEARCH_LIMIT, searchPeople } from "@/lib/db/operators";
import { getTranslator } from "@/lib/i18n/server";
import { AdminNav, BadQuery } from "../admin-nav";

export const dynamic = "force-dynamic";

export default async function PeoplePage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const raw = (await searchParams).q;
  const present = raw !== undefined && raw !== "";
  const query = present ? peopleQuerySchema.safeParse(raw) : undefined;
  await requireOperator(query?.success ? `/admin/people?${new URLSearchParams({ q: query.data })}` : "/admin/people");
  const { locale, t } = await getTranslator();
  const phone = query?.success ? normalizePhone(query.data) : undefined;
  const people = query?.success ? await searchPeople(query.data, { phone: phone?.ok ? phone.target : undefined }) : [];
  const format = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: "Asia/Shanghai" });

  return (
    <div className="card wide admin">
      <h1>{t("admin.title")}</h1>
      <AdminNav current="people" t={t} />
      <BadQuery invalid={query && !query.success ? ["q"] : []} t={t} />
      <h2>{t("admin.people.heading")}</h2>
      <form className="admin-filter" method="get" action="/admin/people" role="search">
        <input
          type="search"
          name="q"
          maxLength={200}
          defaultValue={query?.success ? query.data : ""}
          placeholder={t("admin.people.placeholder")}
          aria-label={t("admin.people.placeholder")}
          data-testid="people-query"
        />
        <button type="submit" className="btn secondary small" data-testid="people-search">
          {t("admin.people.search")}
        </button>
      </form>
      <p className="muted">{t("admin.people.hint", { limit: PEOPLE_SEARCH_LIMIT })}</p>
      {query?.success &&
        (people.length === 0 ? (
          <p className="muted" data-testid="people-empty">
            {t("admin.people.empty")}
          </p>
        ) : (
          <div className="table-scroll">
            <table data-testid="people">
              <thead>
                <tr>
                  <th>{t("admin.people.name")}</th>
                  <th>{t("account.userId")}</th>
                  <th>{t("account.phone")}</th>
                  <th>{t("account.email")}</th>
                  <th>{t("admin.people.role")}</th>
                  <th>{t("admin.people.created")}</th>
                </tr>
              </thead>
              <tbody>
                {people.map((person) => (
                  <tr key={person.id} data-testid="person-row" data-id={person.id}>
                    <td>
                      <Link href={`/admin/people/${encodeURIComponent(person.id)}`} data-testid="person-open">
                        {person.name ?? "—"}
                      </Link>
                    </td>
                    <td>
                      <code>{person.id}</code>
                    </td>
                    <td>{person.phone ? maskTarget("phone", person.phone) : "—"}</td>
                    <td>{person.email ? maskTarget("email", person.email) : "—"}</td>
                    <td>{person.role === "operator" ? t("admin.role.operator") : "—"}</td>
                    <td className="nowrap">{format.format(person.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </div>
  );
}

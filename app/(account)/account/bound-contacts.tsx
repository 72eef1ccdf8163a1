import { maskTarget } from "@/lib/contact-proof/targets";
import type { Translate } from "@/lib/i18n/translate";

type Props = {
  phone: string | null;
  email: string | null;
  /** The channels the site offers (empty when BIND_MODE=off). */
  channels: ("phone" | "email")[];
  t: Translate;
};

/** The bound phone and email, masked, with a link to add or change each (re-verified on /bind). */
export function BoundContacts({ phone, email, channels, t }: Props) {
  if (!phone && !email && channels.length === 0) return null;
  const bindHref = "/bind?returnTo=/account";
  return (
    <dl className="contacts" data-testid="bound-contacts">
      {(phone || channels.includes("phone")) && (
        <>
          <dt className="muted">{t("account.phone")}</dt>
          <dd>
            <span data-testid="bound-phone">{phone ? maskTarget("phone", phone) : "—"}</span>{" "}
            {channels.includes("phone") && (
              <a href={bindHref} data-testid="bind-link">
                {t(phone ? "account.changeContact" : "account.addContact")}
              </a>
            )}
          </dd>
        </>
      )}
      {(email || channels.includes("email")) && (
        <>
          <dt className="muted">{t("account.email")}</dt>
          <dd>
            <span data-testid="bound-email">{email ? maskTarget("email", email) : "—"}</span>{" "}
            {channels.includes("email") && (
              <a href={bindHref} data-testid="bind-link">
                {t(email ? "account.changeContact" : "account.addContact")}
              </a>
            )}
          </dd>
        </>
      )}
    </dl>
  );
}

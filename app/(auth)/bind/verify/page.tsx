import type { Metadata } from "next";
import { cookies } from "next/headers";
import { auth } from "@/lib/auth";
import { sessionCookieName } from "@/lib/auth/cookies";
import { inspectBindLink, sessionProofHash, type LinkView } from "@/lib/contact-proof/codes";
import type { MessageKey } from "@/lib/i18n/messages";
import { getTranslator } from "@/lib/i18n/server";
import { confirmLinkAction } from "./actions";

// Never to other sites (the URL holds the token); same-origin keeps the Origin header on the button's
// POST, which Next checks against the Host for every server action.
export const metadata: Metadata = { referrer: "same-origin" };
export const dynamic = "force-dynamic";

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

type Shown = LinkView | "bound" | "moved";

const MESSAGES = {
  confirm: "bind.linkConfirm",
  other_browser: "bind.linkOtherBrowser",
  invalid: "bind.linkInvalid",
  bound: "bind.linkBound",
  moved: "bind.linkMoved",
} as const satisfies Record<Shown, MessageKey>;

/**
 * The link in the binding email. Opening it (a GET, which scanners and link previews also send)
 * binds nothing: in the browser that asked for it, it shows one button that posts; anywhere
 * else it says to open the link there.
 */
export default async function BindLinkPage({ searchParams }: { searchParams: SearchParams }) {
  const params = await searchParams;
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) ?? "";
  const token = first(params.token);
  const after = first(params.result);
  const { t } = await getTranslator();
  let shown: Shown;
  if (after === "bound" || after === "moved" || after === "other_browser" || after === "invalid") shown = after;
  else {
    const session = await auth();
    const viewer = session?.user?.id
      ? { userId: session.user.id, sessionHash: sessionProofHash((await cookies()).get(sessionCookieName())?.value) }
      : undefined;
    shown = await inspectBindLink(token, viewer);
  }
  return (
    <div className="card" data-testid="bind-link-result" data-result={shown}>
      <h1>{t("bind.linkHeading")}</h1>
      <p>{t(MESSAGES[shown])}</p>
      {shown === "confirm" ? (
        <form action={confirmLinkAction}>
          <input type="hidden" name="token" value={token} />
          <button type="submit" className="btn" data-testid="bind-link-confirm">
            {t("bind.linkConfirmButton")}
          </button>
        </form>
      ) : (
        <a className="btn" href="/account">
          {t("bind.linkDone")}
        </a>
      )}
    </div>
  );
}

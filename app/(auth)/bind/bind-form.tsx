"use client";

import { useEffect, useMemo, useState, useSyncExternalStore, useTransition } from "react";
import { formatWait } from "@/lib/i18n/durations";
import type { MessageKey } from "@/lib/i18n/messages";
import { createTranslator, type Messages, type Translate } from "@/lib/i18n/translate";
import { sendCodeAction, verifyCodeAction, type SendCodeResult, type VerifyCodeResult } from "./actions";

type Channel = "phone" | "email";
type Refusal = Extract<SendCodeResult | VerifyCodeResult, { ok: false }>;

export type BindFormMessageKey = Extract<MessageKey, `bind.${string}` | `duration.${string}`>;

function refusalText(t: Translate<BindFormMessageKey>, result: Refusal): string {
  switch (result.error) {
    case "resend_wait":
    case "target_daily_limit":
    case "account_daily_limit":
    case "ip_daily_limit":
    case "sms_budget":
      return t(`bind.err.${result.error}`, { wait: formatWait(t, result.retryIn) });
    case "wrong_code":
      return t("bind.err.wrong_code", { tries: result.triesLeft });
    case "country_unsupported":
      return t("bind.err.country_unsupported", { country: result.country });
    default:
      return t(`bind.err.${result.error}`);
  }
}

/** Phone/email binding: send a code (with the resend countdown and any limit's wait), confirm it. */
export function BindForm(props: { channels: Channel[]; returnTo: string; emailLink: boolean; messages: Messages<BindFormMessageKey> }) {
  const { channels, returnTo, emailLink, messages } = props;
  const t = useMemo(() => createTranslator(messages), [messages]);
  const [channel, setChannel] = useState<Channel>(channels[0] ?? "phone");
  const [target, setTarget] = useState("");
  const [code, setCode] = useState("");
  const [notice, setNotice] = useState<{ kind: "info" | "error"; text: string } | undefined>();
  const [resendAt, setResendAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [busy, startTransition] = useTransition();
  // Tells tests (and nothing else) that the form now reacts to input.
  const ready = useSyncExternalStore(
    () => () => {},
    () => true,
    () => false,
  );

  useEffect(() => {
    if (resendAt <= now) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [resendAt, now]);

  const waitLeft = Math.max(0, Math.ceil((resendAt - now) / 1000));

  function holdResend(seconds: number) {
    setResendAt(Date.now() + seconds * 1000);
    setNow(Date.now());
  }

  function send() {
    startTransition(async () => {
      const result = await sendCodeAction({ channel, target }).catch((): Refusal => ({ ok: false, error: "server" }));
      if (result.ok) {
        holdResend(result.resendIn);
        setNotice({ kind: "info", text: channel === "email" && emailLink ? t("bind.sentEmailLink") : t("bind.sent") });
        return;
      }
      if (result.error === "resend_wait") holdResend(result.retryIn);
      setNotice({ kind: "error", text: refusalText(t, result) });
    });
  }

  function verify() {
    startTransition(async () => {
      const result = await verifyCodeAction({ channel, target, code }).catch((): Refusal => ({ ok: false, error: "server" }));
      if (result.ok) window.location.assign(returnTo);
      else setNotice({ kind: "error", text: refusalText(t, result) });
    });
  }

  return (
    <div className="bind-form" data-testid="bind-form" data-ready={ready || undefined}>
      {channels.length > 1 && (
        <div className="tabs" role="tablist">
          {channels.map((value) => (
            <button
              key={value}
              type="button"
              role="tab"
              aria-selected={channel === value}
              className={channel === value ? "tab active" : "tab"}
              onClick={() => {
                setChannel(value);
                setNotice(undefined);
              }}
              data-testid={`bind-tab-${value}`}
            >
              {t(value === "phone" ? "bind.phone" : "bind.email")}
            </button>
          ))}
        </div>
      )}
      <div className="field-row">
        <input
          type={channel === "email" ? "email" : "tel"}
          inputMode={channel === "email" ? "email" : "tel"}
          autoComplete={channel === "email" ? "email" : "tel"}
          maxLength={channel === "email" ? 254 : 32}
          placeholder={t(channel === "email" ? "bind.emailPlaceholder" : "bind.phonePlaceholder")}
          value={target}
          onChange={(event) => setTarget(event.target.value)}
          data-testid="bind-target"
        />
        <button type="button" className="btn secondary" disabled={busy || waitLeft > 0 || !target} onClick={send} data-testid="bind-send">
          {waitLeft > 0 ? t("bind.resendIn", { seconds: waitLeft }) : t("bind.send")}
        </button>
      </div>
      <div className="field-row">
        <input
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          placeholder={t("bind.codePlaceholder")}
          value={code}
          onChange={(event) => setCode(event.target.value.replace(/\D/g, ""))}
          data-testid="bind-code"
        />
        <button type="button" className="btn" disabled={busy || code.length !== 6} onClick={verify} data-testid="bind-submit">
          {t("bind.submit")}
        </button>
      </div>
      {notice && (
        <p className={notice.kind === "error" ? "warning" : "muted"} data-testid="bind-message" aria-live="polite">
          {notice.text}
        </p>
      )}
    </div>
  );
}

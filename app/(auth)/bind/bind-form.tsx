"use client";

import { useEffect, useState } from "react";

type Channel = "phone" | "email";
type ApiError = { ok: false; error: string; retryIn?: number; triesLeft?: number; country?: string };
type ApiResult = { ok: true; outcome?: string } | ApiError;

/** Phone/email binding: send a code (with the resend countdown and any limit's wait), confirm it. */
export function BindForm(props: { channels: Channel[]; returnTo: string; emailLink: boolean; messages: Record<string, string> }) {
  const { channels, returnTo, emailLink, messages: m } = props;
  const [channel, setChannel] = useState<Channel>(channels[0] ?? "phone");
  const [target, setTarget] = useState("");
  const [code, setCode] = useState("");
  const [notice, setNotice] = useState<{ kind: "info" | "error"; text: string } | undefined>();
  const [resendAt, setResendAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  // Tells tests (and nothing else) that the form now reacts to input.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  useEffect(() => {
    if (resendAt <= now) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [resendAt, now]);

  const waitLeft = Math.max(0, Math.ceil((resendAt - now) / 1000));
  // "in 45 s", "in 12 min", "in 23 h": a daily cap's wait in seconds would be unreadable.
  const waitText = (seconds: number) => {
    const [key, n] = seconds < 120 ? ["bind.wait.seconds", seconds] : seconds < 7200 ? ["bind.wait.minutes", Math.ceil(seconds / 60)] : ["bind.wait.hours", Math.ceil(seconds / 3600)];
    return m[key]!.replace("{n}", String(n));
  };
  const errorText = (result: ApiError) =>
    (m[`bind.err.${result.error}`] ?? m["bind.err.server"]!)
      .replace("{wait}", waitText(result.retryIn ?? 0))
      .replace("{tries}", String(result.triesLeft ?? ""))
      .replace("{country}", result.country ?? "");

  async function call(path: string, body: unknown): Promise<ApiResult> {
    const response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    try {
      return (await response.json()) as ApiResult;
    } catch {
      return { ok: false, error: "server" };
    }
  }

  function finish(result: ApiResult) {
    if (result.ok === true) {
      window.location.assign(returnTo);
      return;
    }
    setNotice({ kind: "error", text: errorText(result) });
  }

  async function send() {
    setBusy(true);
    const result = await call("/api/bind/send", { channel, target });
    setBusy(false);
    if (result.ok === true) {
      setResendAt(Date.now() + 60_000);
      setNow(Date.now());
      setNotice({ kind: "info", text: channel === "email" && emailLink ? m["bind.sentEmailLink"]! : m["bind.sent"]! });
      return;
    }
    if (result.error === "resend_wait" && result.retryIn) {
      setResendAt(Date.now() + result.retryIn * 1000);
      setNow(Date.now());
    }
    finish(result);
  }

  async function verify() {
    setBusy(true);
    finish(await call("/api/bind/verify", { channel, target, code }));
    setBusy(false);
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
              {value === "phone" ? m["bind.phone"] : m["bind.email"]}
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
          placeholder={channel === "email" ? m["bind.emailPlaceholder"] : m["bind.phonePlaceholder"]}
          value={target}
          onChange={(event) => setTarget(event.target.value)}
          data-testid="bind-target"
        />
        <button type="button" className="btn secondary" disabled={busy || waitLeft > 0 || !target} onClick={send} data-testid="bind-send">
          {waitLeft > 0 ? m["bind.resendIn"]!.replace("{seconds}", String(waitLeft)) : m["bind.send"]}
        </button>
      </div>
      <div className="field-row">
        <input
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          placeholder={m["bind.codePlaceholder"]}
          value={code}
          onChange={(event) => setCode(event.target.value.replace(/\D/g, ""))}
          data-testid="bind-code"
        />
        <button type="button" className="btn" disabled={busy || code.length !== 6} onClick={verify} data-testid="bind-submit">
          {m["bind.submit"]}
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

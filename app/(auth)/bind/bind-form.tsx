"use client";

import { useEffect, useState } from "react";

type Channel = "phone" | "email";
type Conflict = { appId: string; options: { identityId: string; openid: string; account: "current" | "existing" }[] };
type ApiResult = { ok: true; outcome?: string } | { ok: false; error: string; retryIn?: number; triesLeft?: number } | { ok: "choose"; verificationId: string; conflicts: Conflict[] };

/** Phone/email binding: send a code (with the resend countdown), confirm it, choose on conflicts. */
export function BindForm(props: { channels: Channel[]; returnTo: string; emailLink: boolean; messages: Record<string, string> }) {
  const { channels, returnTo, emailLink, messages: m } = props;
  const [channel, setChannel] = useState<Channel>(channels[0] ?? "phone");
  const [target, setTarget] = useState("");
  const [code, setCode] = useState("");
  const [notice, setNotice] = useState<{ kind: "info" | "error"; text: string } | undefined>();
  const [resendAt, setResendAt] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [choice, setChoice] = useState<{ verificationId: string; conflicts: Conflict[] } | undefined>();
  const [keep, setKeep] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (resendAt <= now) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [resendAt, now]);

  const waitLeft = Math.max(0, Math.ceil((resendAt - now) / 1000));
  const errorText = (result: { error: string; retryIn?: number; triesLeft?: number }) =>
    (m[`bind.err.${result.error}`] ?? m["bind.err.server"]!).replace("{seconds}", String(result.retryIn ?? "")).replace("{tries}", String(result.triesLeft ?? ""));

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
    if (result.ok === "choose") {
      setChoice({ verificationId: result.verificationId, conflicts: result.conflicts });
      setNotice(undefined);
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
    if (result.ok === false && result.error === "resend_wait" && result.retryIn) {
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

  async function choose() {
    if (!choice) return;
    setBusy(true);
    finish(await call("/api/bind/choose", { verificationId: choice.verificationId, keep }));
    setBusy(false);
  }

  if (choice) {
    return (
      <div className="bind-choose" data-testid="bind-choose">
        <h2>{m["bind.chooseHeading"]}</h2>
        <p className="muted">{m["bind.chooseIntro"]}</p>
        {choice.conflicts.map((conflict) => (
          <fieldset key={conflict.appId} data-testid="bind-conflict" data-appid={conflict.appId}>
            <legend>
              <code>{conflict.appId}</code>
            </legend>
            {conflict.options.map((option) => (
              <label key={option.identityId} className="choice-row">
                <input
                  type="radio"
                  name={`keep-${conflict.appId}`}
                  value={option.identityId}
                  data-testid={`bind-keep-${option.account}`}
                  checked={keep[conflict.appId] === option.identityId}
                  onChange={() => setKeep((current) => ({ ...current, [conflict.appId]: option.identityId }))}
                />{" "}
                {option.account === "current" ? m["bind.chooseCurrent"] : m["bind.chooseExisting"]} <code>{option.openid}</code>
              </label>
            ))}
          </fieldset>
        ))}
        {notice && <p className={notice.kind === "error" ? "warning" : "muted"} data-testid="bind-message">{notice.text}</p>}
        <button type="button" className="btn" disabled={busy || choice.conflicts.some((conflict) => !keep[conflict.appId])} onClick={choose} data-testid="bind-choose-submit">
          {m["bind.chooseSubmit"]}
        </button>
      </div>
    );
  }

  return (
    <div className="bind-form">
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

"use client";

import { useEffect, useRef, useState } from "react";
import type { Locale } from "@/lib/i18n/messages";
import { createTranslator, type Messages } from "@/lib/i18n/translate";

type WxLoginOptions = Record<string, string | boolean | undefined> & { id: string };

declare global {
  interface Window {
    WxLogin?: new (options: WxLoginOptions) => unknown;
  }
}

type BeginResponse = {
  qrTtlSeconds: number;
  wxLoginJsUrl: string;
  wxLogin: { appid: string; scope: string; redirect_uri: string; state: string; self_redirect: boolean; lang?: string };
};

export type EmbeddedQrMessageKey = "login.validFor" | "login.expired" | "login.refresh" | "login.loading" | "login.loadFailed";

const scriptLoads = new Map<string, Promise<void>>();

function loadScript(src: string): Promise<void> {
  let pending = scriptLoads.get(src);
  if (!pending) {
    pending = new Promise<void>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => {
        scriptLoads.delete(src);
        reject(new Error("wxLogin.js failed to load"));
      };
      document.head.appendChild(script);
    });
    scriptLoads.set(src, pending);
  }
  return pending;
}

/** WeChat's embedded QR (wxLogin.js iframe) with a validity countdown and one-click refresh. */
export function EmbeddedQr(props: { app: string; returnTo: string; selfRedirect: boolean; lang: Locale; messages: Messages<EmbeddedQrMessageKey> }) {
  const { app, returnTo, selfRedirect, lang, messages } = props;
  const t = createTranslator(messages);
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<"loading" | "ready" | "expired" | "failed">("loading");
  const [expiresAt, setExpiresAt] = useState(0);
  const [remaining, setRemaining] = useState(0);
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const response = await fetch("/api/wechat/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ app, returnTo, selfRedirect, lang }),
      });
      if (!response.ok) throw new Error(`begin failed: ${response.status}`);
      const begin = (await response.json()) as BeginResponse;
      await loadScript(begin.wxLoginJsUrl);
      if (cancelled || !window.WxLogin || !container.current) return;
      new window.WxLogin({ id: container.current.id, ...begin.wxLogin });
      setExpiresAt(Date.now() + begin.qrTtlSeconds * 1000);
      setStatus("ready");
    })().catch(() => {
      if (!cancelled) setStatus("failed");
    });
    return () => {
      cancelled = true;
    };
  }, [app, returnTo, selfRedirect, lang, attempt]);

  useEffect(() => {
    if (status !== "ready") return;
    const tick = () => {
      const left = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
      setRemaining(left);
      if (left === 0) setStatus("expired");
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [status, expiresAt]);

  const refresh = () => {
    setStatus("loading");
    setAttempt((value) => value + 1);
  };

  return (
    <>
      <div className="qr-box">
        <div id="wx-qr-container" ref={container} data-testid="wx-qr-container" />
        {status === "loading" && <div className="qr-overlay muted">{t("login.loading")}</div>}
        {(status === "expired" || status === "failed") && (
          <div className="qr-overlay" data-testid="qr-expired">
            <p>{t(status === "expired" ? "login.expired" : "login.loadFailed")}</p>
            <button type="button" className="btn" onClick={refresh} data-testid="qr-refresh">
              {t("login.refresh")}
            </button>
          </div>
        )}
      </div>
      <p className="countdown" data-testid="qr-countdown">
        {status === "ready" ? t("login.validFor", { seconds: remaining }) : ""}
      </p>
    </>
  );
}

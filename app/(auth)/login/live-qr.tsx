"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { MessageKey } from "@/lib/i18n/messages";
import { createTranslator, type Messages } from "@/lib/i18n/translate";

type Status = "loading" | "waiting" | "scanned" | "confirmed" | "redeemed" | "expired" | "cancelled" | "error" | "failed";
type Ticket = { id: string; attemptId: string; status: Status; expiresIn: number; matchCode: string; qrImage: string; qrUrl?: string };
type Surface = "official_account" | "mini_program";
type SameDeviceLink = { ticketId: string } & ({ state: "ready"; urlLink: string } | { state: "unavailable"; message: string });

export type LiveQrMessageKey = Extract<MessageKey, `live.${string}` | `mp.${string}` | "loginError.attempt">;

const OPEN: Status[] = ["waiting", "scanned"];
/** If the stream has delivered nothing this long after opening, it is being buffered or cut. */
const STREAM_SILENCE_MS = 5000;
const POLL_MIN_MS = 1000;
const POLL_MAX_MS = 8000;

/**
 * Our own code with its status as it happens: the Official Account's QR (follow-to-login) or the
 * mini-program code. A Server-Sent Events stream, or polling with backoff where streams are cut.
 * Watching pauses while the tab is hidden and resumes on return; an expired or cancelled code is
 * one click from a fresh one. On a phone's browser the mini-program code comes with a button that
 * opens the mini program on this very ticket (a URL Link), and this page signs in when it is confirmed.
 */
export function LiveQr({
  returnTo,
  messages,
  surface = "official_account",
  mp,
  sameDevice = false,
}: {
  returnTo: string;
  messages: Messages<LiveQrMessageKey>;
  surface?: Surface;
  mp?: string | undefined;
  sameDevice?: boolean;
}) {
  const t = useMemo(() => createTranslator(messages), [messages]);
  const [ticket, setTicket] = useState<Ticket | undefined>();
  // The deadline on this browser's clock: the server says "in N seconds", not "at T".
  const [deadline, setDeadline] = useState(0);
  const [status, setStatus] = useState<Status>("loading");
  const [remaining, setRemaining] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const [visible, setVisible] = useState(true);
  const redeeming = useRef(false);
  // The server's own words when it refuses a new QR (429: when to try again), and the sign-in
  // reference of an attempt that failed there (WeChat refused the QR).
  const [refusal, setRefusal] = useState<{ message?: string; attemptId?: string } | undefined>();
  const [signedInAs, setSignedInAs] = useState<string | undefined>();
  const [link, setLink] = useState<SameDeviceLink | undefined>();

  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", onChange);
    return () => document.removeEventListener("visibilitychange", onChange);
  }, []);

  useEffect(() => {
    let cancelled = false;
    // Aborted when the effect is cleaned up (React's development double run, a quick change of
    // surface): a second request of a new browser would otherwise set a second binding cookie,
    // and the ticket shown would belong to the first one.
    const abort = new AbortController();
    redeeming.current = false;
    fetch("/api/login-tickets", {
      signal: abort.signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ returnTo, surface, ...(mp ? { mp } : {}) }),
    })
      .then(async (response) => {
        if (!response.ok) {
          // The server's own words: when to try again, or what WeChat said and what to do next.
          const body = (await response.json().catch(() => ({}))) as { message?: string; attemptId?: string };
          if (!cancelled) setRefusal({ message: body.message, attemptId: body.attemptId });
          throw new Error(String(response.status));
        }
        const created = (await response.json()) as Ticket;
        if (cancelled) return;
        setDeadline(Date.now() + created.expiresIn * 1000);
        setTicket(created);
        setStatus(created.status);
      })
      .catch(() => !cancelled && setStatus("failed"));
    return () => {
      cancelled = true;
      abort.abort();
    };
  }, [returnTo, attempt, surface, mp]);

  // On a phone's browser: the URL Link that opens the mini program on this ticket, asked for once per ticket.
  useEffect(() => {
    if (!sameDevice || surface !== "mini_program" || !ticket) return;
    let cancelled = false;
    const ticketId = ticket.id;
    fetch(`/api/login-tickets/${ticketId}/url-link`, { method: "POST" })
      .then(async (response) => {
        const body = (await response.json().catch(() => ({}))) as { urlLink?: string; message?: string };
        if (cancelled) return;
        setLink(
          response.ok && body.urlLink
            ? { ticketId, state: "ready", urlLink: body.urlLink }
            : { ticketId, state: "unavailable", message: body.message ?? t("live.error") },
        );
      })
      .catch(() => !cancelled && setLink({ ticketId, state: "unavailable", message: t("live.error") }));
    return () => {
      cancelled = true;
    };
  }, [sameDevice, surface, ticket, t]);

  const isOpen = OPEN.includes(status);

  const redeem = useCallback(
    async (id: string) => {
      if (redeeming.current) return;
      redeeming.current = true;
      try {
        const response = await fetch(`/api/login-tickets/${id}/redeem`, { method: "POST" });
        if (!response.ok) throw new Error(`redeem failed: ${response.status}`);
        const { returnTo: target, nickname } = (await response.json()) as { returnTo: string; nickname: string | null };
        // Whose account this browser is now in, before it leaves: someone who did not scan their own
        // QR (a reverse hijack) sees at once that it is not theirs.
        setSignedInAs(nickname ? t("live.signedInAs", { name: nickname }) : t("live.signedInUnnamed"));
        setStatus("redeemed");
        window.location.assign(target);
      } catch {
        setStatus("error");
      }
    },
    [t],
  );

  // Watch the status while the ticket is open and the tab is visible.
  useEffect(() => {
    if (!ticket || !isOpen || !visible) return;
    let stopped = false;
    let source: EventSource | undefined;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let silenceTimer: ReturnType<typeof setTimeout> | undefined;
    let delay = POLL_MIN_MS;
    let lastSeen: Status | undefined;

    const apply = (next: Status) => {
      if (next !== lastSeen) delay = POLL_MIN_MS;
      lastSeen = next;
      setStatus(next);
      // A confirmed ticket is redeemed at once, by this page, for this browser.
      if (next === "confirmed") void redeem(ticket.id);
    };
    const poll = async () => {
      if (stopped) return;
      try {
        const response = await fetch(`/api/login-tickets/${ticket.id}`, { cache: "no-store" });
        if (response.ok) apply(((await response.json()) as { status: Status }).status);
        else if (response.status === 404) apply("error");
      } catch {
        // Network hiccup: try again after the backoff.
      }
      if (!stopped) pollTimer = setTimeout(poll, delay);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    };
    const fallBackToPolling = () => {
      source?.close();
      source = undefined;
      if (!stopped && pollTimer === undefined) void poll();
    };

    if (typeof EventSource === "undefined") {
      void poll();
    } else {
      let heard = false;
      source = new EventSource(`/api/login-tickets/${ticket.id}/events`);
      silenceTimer = setTimeout(fallBackToPolling, STREAM_SILENCE_MS);
      source.addEventListener("status", (message) => {
        heard = true;
        clearTimeout(silenceTimer);
        apply((JSON.parse((message as MessageEvent<string>).data) as { status: Status }).status);
      });
      source.onerror = () => {
        // A stream that never delivered is blocked somewhere: poll at once. One that worked
        // reconnects by itself, unless the browser gave up on it.
        if (!heard || source?.readyState === EventSource.CLOSED) fallBackToPolling();
      };
    }
    return () => {
      stopped = true;
      source?.close();
      clearTimeout(pollTimer);
      clearTimeout(silenceTimer);
    };
  }, [ticket, isOpen, visible, redeem]);

  // Countdown; the QR reads as expired at zero even if no event arrives.
  useEffect(() => {
    if (!ticket || !isOpen) return;
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      setRemaining(left);
      if (left === 0) setStatus("expired");
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [ticket, isOpen, deadline]);

  const refresh = () => {
    setStatus("loading");
    setTicket(undefined);
    setRefusal(undefined);
    setAttempt((value) => value + 1);
  };
  const needsRefresh = status === "expired" || status === "cancelled" || status === "error" || status === "failed";
  const currentLink = link && link.ticketId === ticket?.id ? link : undefined;
  // The sign-in reference of an attempt that ended without signing in, for support (/admin/attempts).
  const reference = needsRefresh ? (status === "failed" ? refusal?.attemptId : ticket?.attemptId) : undefined;
  const message =
    status === "loading"
      ? t("live.loading")
      : status === "failed"
        ? (refusal?.message ?? t("live.createFailed"))
        : status === "redeemed" && signedInAs
          ? signedInAs
          : surface === "mini_program" && (status === "waiting" || status === "scanned")
            ? t(status === "waiting" ? "mp.waiting" : "mp.scanned")
            : t(`live.${status}`);

  return (
    <div className="live-qr" data-testid="live-qr" data-status={status} data-ticket={ticket?.id} data-surface={surface}>
      {sameDevice && surface === "mini_program" && isOpen && (
        <div className="same-device" data-testid="mp-same-device">
          {currentLink?.state === "ready" ? (
            <>
              <p>
                <a className="btn" href={currentLink.urlLink} target="_blank" rel="noopener noreferrer" data-testid="mp-open-link">
                  {t("mp.openMiniProgram")}
                </a>
              </p>
              <p className="muted">{t("mp.sameDeviceHint")}</p>
            </>
          ) : currentLink?.state === "unavailable" ? (
            <p className="dev-hint" role="alert" data-testid="mp-link-unavailable">
              {currentLink.message}
            </p>
          ) : (
            <p className="muted">{t("mp.openingLink")}</p>
          )}
          <p className="muted">{t("mp.otherDevice")}</p>
        </div>
      )}
      <div className="qr-box live">
        {/* eslint-disable-next-line @next/next/no-img-element -- a data: URL drawn on the server; there is nothing to optimize. */}
        {ticket && <img src={ticket.qrImage} alt="QR" width={240} height={240} data-testid="live-qr-image" data-qr-url={ticket.qrUrl} />}
        {needsRefresh && (
          <div className="qr-overlay" data-testid="live-qr-overlay">
            <p>{message}</p>
            {reference && (
              <p className="muted" data-testid="live-qr-reference" data-attempt={reference}>
                {t("loginError.attempt", { ref: reference })}
              </p>
            )}
            <button type="button" className="btn" onClick={refresh} data-testid="live-qr-refresh">
              {t("live.refresh")}
            </button>
          </div>
        )}
      </div>
      {!needsRefresh && (
        <p className="live-status" data-testid="live-qr-status" aria-live="polite">
          {status === "redeemed" ? <span data-testid="live-qr-signed-in-as">{message}</span> : message}
          {status === "scanned" && ticket && (
            <strong className="match-code" data-testid="live-qr-match">
              {" "}
              {ticket.matchCode}
            </strong>
          )}
        </p>
      )}
      <p className="countdown" data-testid="live-qr-countdown">
        {isOpen ? t("live.validFor", { seconds: remaining }) : ""}
      </p>
    </div>
  );
}

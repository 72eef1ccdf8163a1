/**
 * One attempt per sign-in on every surface, driven through the emulator over real HTTP on both
 * databases: each surface's success and failure classes, then the stored outcomes (with WeChat's
 * errcode and rid) and the exact funnel the operator console reads (lib/db/attempts.ts). Tracing
 * and metrics are on, as in production with OTEL_* and METRICS_TOKEN set: the stored attempt, its
 * trace (an in-memory exporter) and the funnel counters must tell the same story.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { POST as pushEvent } from "@/app/api/wechat/events/route";
import { openidFor } from "@/emulator/config";
import { WECHAT_UA } from "@/emulator/test-helpers";
import { randomToken, sha256 } from "@/lib/crypto";
import { findAttempt, listAttempts, readFunnel, type Attempt } from "@/lib/db/attempts";
import { db } from "@/lib/db/client";
import { DEMO_OFFICIAL_ACCOUNT } from "@/lib/env";
import { metrics, resetMetrics } from "@/lib/telemetry/metrics";
import { registerTracing } from "@/lib/telemetry/register";
import { testDatabases } from "@/lib/test/databases";
import { useTestEmulator } from "@/lib/test/emulator";
import { startTicket } from "@/lib/test/tickets";
import { encryptedPush, replyContent, scanXml } from "@/lib/test/wechat-push";
import { cancelTicket, confirmTicket, recordScan } from "./follow-to-login";
import { beginInWechatLogin, type OfficialAccountScope } from "./in-wechat";
import { cancelFromMiniProgram, confirmFromMiniProgram, createMiniProgramTicket, findMiniProgram, scanFromMiniProgram } from "./mini-program";
import { completeOAuthCallback, type CallbackOutcome } from "./oauth-callback";
import { expireTicket, redeemTicket } from "./tickets";
import { beginWebsiteLogin } from "./website-qr";

const ORIGIN = "http://localhost:3993";
// The endpoint turns tracing on; nothing listens there, the spans go to the in-memory exporter only.
const emulator = useTestEmulator({
  callbackDomain: "localhost:3993",
  env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", METRICS_TOKEN: "t".repeat(32) },
});
const exporter = new InMemorySpanExporter();
beforeAll(async () => {
  expect(await registerTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] })).toBe(true);
});
const OA = DEMO_OFFICIAL_ACCOUNT;
const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0) Chrome/126.0";
const RID = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;

/** The attempt a state or ticket row stands for, by its stored attempt id. */
async function attemptOfRow(row: { attemptId: string }): Promise<Attempt> {
  const attempt = await findAttempt(row.attemptId);
  expect(attempt).not.toBeNull();
  return attempt!;
}

async function newestState() {
  return (await db()).wechatLoginState.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
}

async function ticketRow(id: string) {
  return (await db()).loginTicket.findUniqueOrThrow({ where: { id } });
}

/** A website QR in a desktop browser; `phone` confirms it or taps 拒绝 on WeChat's page. */
async function websiteAttempt(user: string, phone: "confirm" | "cancel"): Promise<CallbackOutcome> {
  const binding = randomToken(32);
  const begin = await beginWebsiteLogin({ form: "redirect", bindingHash: sha256(binding), ip: "203.0.113.5", userAgent: DESKTOP_UA, origin: ORIGIN });
  const page = await (await fetch(begin.qrconnectUrl)).text();
  const uuid = /data-uuid="([^"]+)"/.exec(page)?.[1];
  const session = await emulator.control<{ redirect?: string }>(`qr/${uuid}/${phone}`, phone === "confirm" ? { user } : {});
  const redirect = new URL(session.redirect!);
  return completeOAuthCallback({
    code: redirect.searchParams.get("code") ?? undefined,
    state: redirect.searchParams.get("state") ?? undefined,
    bindingHash: sha256(binding),
    currentUserId: async () => undefined,
    browser: { userAgent: DESKTOP_UA, ip: "203.0.113.5" },
  });
}

/** Sign-in inside WeChat's browser as `user`: authorize (consenting when asked), then our callback. */
async function inWechatAttempt(scope: OfficialAccountScope, user: string, binding = randomToken(32)): Promise<CallbackOutcome> {
  const { authorizeUrl } = await beginInWechatLogin({ scope, bindingHash: sha256(binding), ip: "198.51.100.4", userAgent: WECHAT_UA, origin: ORIGIN });
  const response = await fetch(authorizeUrl, { redirect: "manual", headers: { "user-agent": WECHAT_UA, cookie: `wx_user=${user}` } });
  const html = await response.text();
  const scripted = /location\.replace\(("[^"]*")\)/.exec(html)?.[1];
  let callback: URL;
  if (scripted) callback = new URL(JSON.parse(scripted) as string);
  else {
    const consentId = /name="id" value="([^"]+)"/.exec(html)?.[1];
    const allowed = await fetch(`${emulator.url}/connect/oauth2/consent`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", "user-agent": WECHAT_UA },
      body: new URLSearchParams({ id: consentId!, action: "allow" }),
    });
    callback = new URL(allowed.headers.get("location")!);
  }
  const outcome = await completeOAuthCallback({
    code: callback.searchParams.get("code") ?? undefined,
    state: callback.searchParams.get("state") ?? undefined,
    bindingHash: sha256(binding),
    currentUserId: async () => undefined,
    browser: { userAgent: WECHAT_UA, ip: "198.51.100.4" },
  });
  if (outcome.kind !== "escalate") return outcome;
  // Someone new: the consent scope goes on as the same attempt, and the silent state is gone.
  const silent = await newestState();
  const consent = await inWechatAttempt("snsapi_userinfo", user, binding);
  const continued = await newestState();
  expect(continued).toMatchObject({ attemptId: silent.attemptId, traceParent: silent.traceParent, mode: "oa_userinfo" });
  expect(await (await db()).wechatLoginState.findUnique({ where: { id: silent.id } })).toBeNull();
  return consent;
}

/** A computer's mini-program code: its ticket and scene. */
async function miniProgramTicket() {
  const binding = randomToken(32);
  const ticket = await createMiniProgramTicket({
    mp: findMiniProgram()!,
    bindingHash: sha256(binding),
    returnTo: "/account",
    ip: "203.0.113.6",
    userAgent: DESKTOP_UA,
  });
  const { scene } = await ticketRow(ticket.id);
  return { ticket, scene, bindingHash: sha256(binding) };
}

async function wxLogin(user: string): Promise<string> {
  return (await emulator.control<{ code: string }>("mp/login", { appid: findMiniProgram()!.appId, user })).code;
}

/** What WeChat's refusal carried up to the caller. */
async function refusalOf(work: Promise<unknown>): Promise<{ errcode: number; rid: string }> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught as { errcode: number; rid: string },
  );
  if (!error) throw new Error("expected WeChat to refuse");
  return error;
}

/** Lets an open ticket run out, as its page's stream sees it at the expiry (no waiting). */
async function runOut(id: string): Promise<void> {
  await (await db()).loginTicket.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  await expireTicket(id);
}

describe.each(testDatabases())("sign-in attempts on $name", (database) => {
  let since: Date;
  beforeAll(async () => {
    await database.setUp();
    since = new Date(Date.now() - 1000);
    resetMetrics();
  });
  afterAll(() => database.tearDown());

  it("website QR: a sign-in, a refusal on the phone and an errcode each end their own attempt", async () => {
    expect(await websiteAttempt("lin", "confirm")).toMatchObject({ kind: "signed_in" });
    const signedIn = await attemptOfRow(await newestState());
    expect(signedIn).toMatchObject({ surface: "website", outcome: "signed_in", ip: "203.0.113.5", userAgent: DESKTOP_UA, errcode: null, scannedAt: null });
    expect(signedIn.userId).not.toBeNull();
    expect(signedIn.finishedAt).not.toBeNull();
    expect(signedIn.confirmedAt).not.toBeNull();

    expect(await websiteAttempt("lin", "cancel")).toMatchObject({ kind: "error", code: "cancelled" });
    expect(await attemptOfRow(await newestState())).toMatchObject({ outcome: "denied", errorCode: "cancelled", confirmedAt: null, userId: null });

    await emulator.control("faults", { endpoint: "sns/oauth2/access_token", errcode: 40029 });
    expect(await websiteAttempt("zhang", "confirm")).toMatchObject({ kind: "error", code: "40029" });
    const failed = await attemptOfRow(await newestState());
    expect(failed).toMatchObject({ outcome: "failed", errorCode: "40029", errcode: 40029, userId: null });
    expect(failed.rid).toMatch(RID);
    expect(failed.finishedAt).not.toBeNull();
  });

  it("the attempt id is not the state: the browser's secret appears nowhere an operator looks", async () => {
    const row = await newestState();
    expect(row.attemptId).not.toBe(row.id);
    const listed = await listAttempts({ surface: "website" });
    expect(listed.map((attempt) => attempt.id)).toContain(row.attemptId);
    expect(JSON.stringify(listed)).not.toContain(row.id);
    expect(await findAttempt(row.id)).toBeNull();
  });

  it("inside WeChat: a new person's consent sign-in is one attempt, and an errcode fails one", async () => {
    expect(await inWechatAttempt("snsapi_base", "wang")).toMatchObject({ kind: "signed_in" });
    expect(await attemptOfRow(await newestState())).toMatchObject({ surface: "in_wechat", outcome: "signed_in", userAgent: WECHAT_UA, ip: "198.51.100.4" });

    expect(await inWechatAttempt("snsapi_userinfo", "zhang")).toMatchObject({ kind: "signed_in" });

    await emulator.control("faults", { endpoint: "sns/userinfo", errcode: 48001 });
    expect(await inWechatAttempt("snsapi_userinfo", "li")).toMatchObject({ kind: "error", code: "48001" });
    const failed = await attemptOfRow(await newestState());
    expect(failed).toMatchObject({ surface: "in_wechat", outcome: "failed", errorCode: "48001", errcode: 48001 });
    expect(failed.rid).toMatch(RID);
  });

  it("Official Account QR: a sign-in, a wrong number, a Cancel, a refused QR and an expiry", async () => {
    const ok = await startTicket({ ip: "203.0.113.7", userAgent: DESKTOP_UA });
    const reply = await replyContent(await pushEvent(encryptedPush(scanXml(openidFor(OA.appId, "lin"), ok.scene))));
    const token = /\/login\/confirm\?t=([A-Za-z0-9_-]{43})/.exec(reply ?? "")![1]!;
    expect(await confirmTicket(token, ok.ticket.matchCode)).toBe("confirmed");
    await redeemTicket(ok.ticket.id, ok.bindingHash, { userAgent: DESKTOP_UA, ip: "203.0.113.7" });
    const signedIn = await attemptOfRow(await ticketRow(ok.ticket.id));
    expect(signedIn).toMatchObject({ surface: "official_account", outcome: "signed_in", ip: "203.0.113.7", userAgent: DESKTOP_UA });
    expect([signedIn.scannedAt, signedIn.confirmedAt, signedIn.finishedAt, signedIn.userId].every((value) => value !== null)).toBe(true);
    expect(signedIn.id).not.toBe(ok.ticket.id);

    const wrong = await startTicket();
    const scan = await recordScan(wrong.scene, openidFor(OA.appId, "zhang"));
    if (scan.kind !== "confirm_link") throw new Error(scan.kind);
    expect(await confirmTicket(scan.confirmToken, wrong.ticket.matchCode === "10" ? "11" : "10")).toBe("cancelled");
    expect(await attemptOfRow(await ticketRow(wrong.ticket.id))).toMatchObject({ outcome: "failed", errorCode: "number_mismatch", errcode: null });

    const cancelled = await startTicket();
    const cancelScan = await recordScan(cancelled.scene, openidFor(OA.appId, "li"));
    if (cancelScan.kind !== "confirm_link") throw new Error(cancelScan.kind);
    await cancelTicket(cancelScan.confirmToken);
    const cancelledAttempt = await attemptOfRow(await ticketRow(cancelled.ticket.id));
    expect(cancelledAttempt).toMatchObject({ outcome: "cancelled", errorCode: null });
    expect(cancelledAttempt.finishedAt).not.toBeNull();

    await emulator.control("faults", { endpoint: "cgi-bin/qrcode/create", errcode: 45009 });
    const refusal = await refusalOf(startTicket());
    expect(refusal).toMatchObject({ errcode: 45009 });
    const [refused] = await listAttempts({ surface: "official_account", errcode: 45009 });
    expect(refused).toMatchObject({ outcome: "failed", errorCode: "45009", errcode: 45009, rid: refusal.rid });
    expect(refused!.rid).toMatch(RID);

    const late = await startTicket();
    await runOut(late.ticket.id);
    const expired = await attemptOfRow(await ticketRow(late.ticket.id));
    expect(expired).toMatchObject({ outcome: "expired", errorCode: null, scannedAt: null });
    expect(expired.finishedAt).not.toBeNull();
  });

  it("mini-program code: a sign-in, a Cancel, and a jscode2session errcode that the expiry turns into a failure", async () => {
    const ok = await miniProgramTicket();
    const phone = await scanFromMiniProgram(ok.scene, await wxLogin("lin"));
    expect(await confirmFromMiniProgram({ token: phone.token, pick: ok.ticket.matchCode, ip: null, locale: "zh-CN" })).toEqual({ status: "confirmed" });
    await redeemTicket(ok.ticket.id, ok.bindingHash, { userAgent: DESKTOP_UA, ip: "203.0.113.6" });
    expect(await attemptOfRow(await ticketRow(ok.ticket.id))).toMatchObject({ surface: "mini_program", outcome: "signed_in", ip: "203.0.113.6" });

    const cancelled = await miniProgramTicket();
    const cancelPhone = await scanFromMiniProgram(cancelled.scene, await wxLogin("zhang"));
    await cancelFromMiniProgram(cancelPhone.token);
    expect(await attemptOfRow(await ticketRow(cancelled.ticket.id))).toMatchObject({ outcome: "cancelled" });

    const refused = await miniProgramTicket();
    await emulator.control("faults", { endpoint: "sns/jscode2session", errcode: 40029 });
    const error = await refusalOf(scanFromMiniProgram(refused.scene, await wxLogin("li")));
    expect(error).toMatchObject({ errcode: 40029 });
    // Still open: the mini program may log in again and retry; the failure is kept meanwhile.
    expect(await attemptOfRow(await ticketRow(refused.ticket.id))).toMatchObject({ outcome: "pending", errorCode: "40029", errcode: 40029, rid: error.rid });
    await runOut(refused.ticket.id);
    expect(await attemptOfRow(await ticketRow(refused.ticket.id))).toMatchObject({ outcome: "failed", errorCode: "40029", errcode: 40029, rid: error.rid });
  });

  it("counts exactly these attempts in the funnel, per surface and in total", async () => {
    const funnel = await readFunnel(since);
    const rows = Object.fromEntries(
      funnel.rows.map(({ surface, shown, scanned, confirmed, signedIn, failed }) => [surface, { shown, scanned, confirmed, signedIn, failed }]),
    );
    expect(rows).toEqual({
      all: { shown: 13, scanned: null, confirmed: 7, signedIn: 5, failed: 5 },
      // The refusal brought no code: not confirmed.
      website: { shown: 3, scanned: null, confirmed: 2, signedIn: 1, failed: 1 },
      // A new person's silent then consent state is one attempt.
      in_wechat: { shown: 3, scanned: null, confirmed: 3, signedIn: 2, failed: 1 },
      // The refused QR was never shown.
      official_account: { shown: 4, scanned: 3, confirmed: 1, signedIn: 1, failed: 2 },
      mini_program: { shown: 3, scanned: 2, confirmed: 1, signedIn: 1, failed: 1 },
    });
    expect(funnel.failures).toEqual([
      { errorCode: "40029", errcode: 40029, count: 2 },
      { errorCode: "45009", errcode: 45009, count: 1 },
      { errorCode: "48001", errcode: 48001, count: 1 },
      { errorCode: "number_mismatch", errcode: null, count: 1 },
    ]);
    const byOutcome = (await listAttempts({ since, limit: 200 })).reduce<Record<string, number>>(
      (counts, attempt) => ({ ...counts, [attempt.outcome]: (counts[attempt.outcome] ?? 0) + 1 }),
      {},
    );
    expect(byOutcome).toEqual({ signed_in: 5, failed: 5, denied: 1, cancelled: 2, expired: 1 });
  });

  it("counts the same steps in the metrics as the database holds", async () => {
    const counter = await metrics().funnel.get();
    const count = (surface: string, step: string, outcome = "ok") =>
      counter.values.find((value) => value.labels.surface === surface && value.labels.step === step && value.labels.outcome === outcome)?.value ?? 0;
    expect(["website", "in_wechat", "official_account", "mini_program"].map((surface) => count(surface, "shown"))).toEqual([3, 3, 4, 3]);
    expect(["website", "in_wechat", "official_account", "mini_program"].map((surface) => count(surface, "signed_in"))).toEqual([1, 2, 1, 1]);
    expect(count("website", "confirmed", "denied")).toBe(1);
    expect(count("website", "code_exchanged", "failed")).toBe(1);
    expect(count("in_wechat", "profile_fetched", "failed")).toBe(1);
    expect(count("official_account", "created", "failed")).toBe(1);
    expect(count("official_account", "confirmed", "failed")).toBe(1);
    expect(count("official_account", "confirmed", "cancelled")).toBe(1);
    expect(count("official_account", "scanned", "expired")).toBe(1);
    expect(count("mini_program", "confirmed", "cancelled")).toBe(1);
    expect(count("mini_program", "code_exchanged", "failed")).toBe(1);
    expect(count("mini_program", "scanned", "expired")).toBe(1);
  });

  it("is one trace under the stored traceparent: every step and WeChat call carries the attempt id, never the state", async () => {
    exporter.reset();
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
    try {
      await emulator.control("faults", { endpoint: "sns/userinfo", errcode: 40003 });
      expect(await websiteAttempt("lin", "confirm")).toMatchObject({ kind: "error", code: "40003" });
    } finally {
      spy.mockRestore();
    }
    const row = await newestState();
    const traceId = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(row.traceParent ?? "")?.[1];
    expect(traceId).toBeDefined();
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    expect(spans.map((span) => span.name).sort()).toEqual(
      ["login.attempt", "login.code_exchanged", "login.created", "login.profile_fetched", "login.shown", "wechat.api", "wechat.api"].sort(),
    );
    for (const span of spans.filter((candidate) => candidate.name.startsWith("login."))) {
      expect(span.attributes["login.attempt_id"]).toBe(row.attemptId);
    }
    const failedStep = spans.find((span) => span.name === "login.profile_fetched");
    expect(failedStep?.attributes).toMatchObject({ "login.outcome": "failed", "wechat.errcode": 40003, "wechat.rid": row.rid });
    expect(JSON.stringify(spans.map((span) => span.attributes))).not.toContain(row.id);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.event === "wechat.api.errcode");
    expect(logged).toMatchObject({ attempt: row.attemptId, trace_id: traceId, rid: row.rid });
  });
});

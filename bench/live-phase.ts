/**
 * One phase of the live-status benchmark: N browsers wait on their tickets (Server-Sent Events,
 * or polling every second) while the server's RSS is read step by step, then phones confirm at a
 * steady rate, and each browser's confirm → notified delay is recorded. The phones scan ahead of
 * the confirms, so only the confirm is timed.
 */
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { LiveBrowser, startPolling, type HttpAnswer, type PollGate } from "./live-browser";
import { RateGate, SCANNING_USERS, type ConfirmOutcome, type PhoneInput, type PhoneStrategy, type Surface } from "./live-phone";
import { readSettledRss, sampleRss, type RssReading } from "./process-memory";

export type WatchMode = "sse" | "polling";

export type PhaseTarget = { appUrl: string; emulatorUrl: string; serverPid: number; timeoutMs: number };

/** `phone`: how the phone scans and confirms on the phase's surface; `rate` is the confirms' (and at most the scans') per second. */
export type PhaseSettings = { phone: PhoneStrategy; mode: WatchMode; browsers: number; warmup: number; rate: number; redeem: number };

export type PhaseResult = {
  surface: Surface;
  mode: WatchMode;
  browsers: number;
  created: number;
  watching: number;
  scanned: number;
  confirmed: number;
  /** confirm sent → status seen by the page, for each confirmed ticket the page saw confirmed. */
  notifiedMs: number[];
  /** Browsers (of `browsers`) whose page never saw `confirmed`, whatever the reason. */
  notNotified: number;
  /** Duration of each confirm request (sent → 303 read). */
  confirmMs: number[];
  rssBefore: RssReading;
  rssAfter: RssReading;
  /** RSS after each step of the ramp (browsers waiting → median RSS), step 0 included. */
  ramp: RampPoint[];
  scanSeconds: number;
  confirmSeconds: number;
  redeem: { tried: number; ok: number };
  polls?: { completed: number; skippedTicks: number; errors: number };
  failures: Map<string, number>;
};

const POLL_INTERVAL_MS = 1000;
const CREATE_CONCURRENCY = 20;
const OPEN_CONCURRENCY = 100;
/** Browsers start waiting in this many equal steps, with the server's RSS read after each. */
const RAMP_STEPS = 10;
/**
 * Scans run ahead of confirms in batches of at most this many seconds of scanning: a confirm
 * token lives 5 minutes from the scan, and a batch is confirmed at least as fast as it was scanned.
 */
const SCAN_AHEAD_SECONDS = 180;
const SESSION_COOKIE = "authjs.session-token";

const ticketSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  matchCode: z.string().regex(/^\d{2}$/),
  qrUrl: z.string().min(1).optional(),
  qrImage: z.string().startsWith("data:image/png;base64,"),
});
const statusSchema = z.object({ status: z.string() });
const sessionSchema = z.object({ user: z.object({ id: z.string().min(1) }) });

/** A ticket as the bench keeps it: the code's picture and content become the phone's `codeUrl`. */
type Ticket = Omit<z.infer<typeof ticketSchema>, "qrUrl" | "qrImage">;

type PollTotals = { completed: number; skippedTicks: number; errors: number };

export type RampPoint = { watching: number; rss: number };

/** What the watchers of one phase share. */
type WatchContext = { mode: WatchMode; failures: Map<string, number>; pollTotals: PollTotals; gate: PollGate };

function createWatchContext(mode: WatchMode, failures: Map<string, number>): WatchContext {
  return { mode, failures, pollTotals: { completed: 0, skippedTicks: 0, errors: 0 }, gate: { paused: false, inFlight: 0 } };
}

/** One browser, its ticket and what happened to it. */
export type Watched = {
  browser: LiveBrowser;
  ticket: Ticket;
  /** What the phone read from the page's code. */
  codeUrl: string;
  user?: string;
  confirmToken?: string;
  confirm?: ConfirmOutcome;
  notifiedAt?: number;
  stop: () => void;
};

const FINAL = new Set(["confirmed", "redeemed", "expired", "cancelled", "error"]);

/** The `status` of a ticket's JSON (a poll answer or an event's data); undefined when it is not one. */
function readStatus(json: string): string | undefined {
  try {
    const parsed = statusSchema.safeParse(JSON.parse(json) as unknown);
    return parsed.success ? parsed.data.status : undefined;
  } catch {
    return undefined;
  }
}

function count(failures: Map<string, number>, reason: string): void {
  failures.set(reason, (failures.get(reason) ?? 0) + 1);
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
async function forEachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

/**
 * `POST /api/login-tickets` in fresh browsers, through a shared setup agent that is closed
 * afterwards; the phone reads each code here, outside any timing.
 */
async function createTickets(
  phone: PhoneStrategy,
  countWanted: number,
  target: Omit<PhaseTarget, "serverPid">,
  setupAgent: Agent,
  failures: Map<string, number>,
): Promise<Watched[]> {
  const created: Watched[] = [];
  await forEachLimited(
    Array.from({ length: countWanted }, (_, index) => index),
    CREATE_CONCURRENCY,
    async () => {
      const browser = new LiveBrowser(target.appUrl, target.timeoutMs);
      try {
        const answer = await browser.send("/api/login-tickets", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: phone.ticketBody,
          via: setupAgent,
        });
        const ticket = answer.status === 201 ? ticketSchema.safeParse(JSON.parse(answer.body) as unknown) : undefined;
        if (!ticket?.success || ticket.data.status !== "waiting") {
          count(failures, `create: HTTP ${answer.status} ${answer.body.slice(0, 80)}`);
          browser.dispose();
          return;
        }
        const { qrUrl, qrImage, ...kept } = ticket.data;
        created.push({ browser, ticket: kept, codeUrl: phone.readCode({ qrUrl, qrImage }), stop: () => {} });
      } catch (error) {
        count(failures, `create: ${describeError(error)}`);
        browser.dispose();
      }
    },
  );
  return created;
}

/** Opens the ticket's event stream; resolves true once the initial `waiting` arrived. */
function watchWithEvents(item: Watched, failures: Map<string, number>): Promise<boolean> {
  return new Promise((resolve) => {
    const stream = item.browser.openEventStream(`/api/login-tickets/${item.ticket.id}/events`, (event) => {
      if (event.type !== "status") return;
      const status = readStatus(event.data);
      if (status === "waiting") resolve(true);
      if (status === "confirmed") item.notifiedAt ??= event.at;
    });
    item.stop = () => stream.close();
    stream.opened.catch((error: unknown) => {
      count(failures, `events: ${describeError(error)}`);
      resolve(false);
    });
    void stream.ended.then(() => resolve(false));
  });
}

/** The browser's first poll, which also opens its connection; true once answered. */
async function pollOnce(item: Watched, failures: Map<string, number>): Promise<boolean> {
  const first = await item.browser.send(`/api/login-tickets/${item.ticket.id}`, { deadline: false }).catch((error: unknown) => {
    count(failures, `poll: ${describeError(error)}`);
    return undefined;
  });
  if (!first) return false;
  if (first.status === 200 && readStatus(first.body) !== undefined) return true;
  count(failures, `poll: HTTP ${first.status}`);
  return false;
}

/** The browser's 1 s poller, from a random phase; it stops itself on a final status. */
function startPoller(item: Watched, context: WatchContext): void {
  const { failures, pollTotals } = context;
  const poller = startPolling(item.browser, `/api/login-tickets/${item.ticket.id}`, POLL_INTERVAL_MS, context.gate, (answer: HttpAnswer) => {
    if (answer.status !== 200) {
      count(failures, `poll: HTTP ${answer.status}`);
      return;
    }
    const status = readStatus(answer.body);
    if (status === "confirmed") item.notifiedAt ??= answer.answeredAt;
    if (status && FINAL.has(status)) item.stop();
  });
  let stopped = false;
  item.stop = () => {
    if (stopped) return;
    stopped = true;
    poller.stop();
    pollTotals.completed += poller.completedPolls;
    pollTotals.skippedTicks += poller.skippedTicks;
    pollTotals.errors += poller.errors;
  };
}

type ScanJob = { item: Watched; user: string; attempts: number };

function phoneInput(target: PhaseTarget, agent: Agent): PhoneInput {
  return { emulatorUrl: target.emulatorUrl, appUrl: target.appUrl, agent, timeoutMs: target.timeoutMs };
}

/** A failed scan is retried after this long: sooner, within the same second, it would be WeChat's duplicate. */
const SCAN_RETRY_DELAY_MS = 1100;

/**
 * Every phone scans its code, open-loop at the surface's scan rate (a slow app does not slow the
 * scans down), the virtual users taking turns. On the Official Account the app drops repeats of one event by
 * FromUserName + CreateTime + event + key, so one user scanning two QRs in a second is two
 * events, as on WeChat. A scan without a confirm token is retried by the same user (another user
 * would find the code taken), a second later, up to three times.
 */
async function scanAll(items: Watched[], target: PhaseTarget, agent: Agent, settings: PhaseSettings, failures: Map<string, number>): Promise<void> {
  const { phone } = settings;
  const gate = new RateGate(phone.scanRate(settings.rate));
  const pending: ScanJob[] = items.map((item, index) => ({ item, user: SCANNING_USERS[index % SCANNING_USERS.length]!, attempts: 0 }));
  const inFlight = new Set<Promise<void>>();
  const scan = async (job: ScanJob): Promise<void> => {
    const outcome = await phone
      .scan({ ...phoneInput(target, agent), codeUrl: job.item.codeUrl, user: job.user })
      .catch((error: unknown) => ({ ok: false as const, reason: `scan: ${describeError(error)}` }));
    if (outcome.ok) {
      job.item.user = job.user;
      job.item.confirmToken = outcome.confirmToken;
    } else if (job.attempts < 3) {
      await sleep(SCAN_RETRY_DELAY_MS);
      pending.push(job);
    } else {
      count(failures, outcome.reason);
    }
  };
  while (pending.length || inFlight.size) {
    const job = pending.shift();
    if (!job) {
      await Promise.race(inFlight);
      continue;
    }
    await gate.takeSlot();
    job.attempts++;
    const running = scan(job).finally(() => inFlight.delete(running));
    inFlight.add(running);
  }
}

/** Confirms every scanned ticket, open-loop at `gate`'s rate (a slow answer does not delay the next confirm). */
async function confirmAll(items: Watched[], target: PhaseTarget, agent: Agent, settings: PhaseSettings, failures: Map<string, number>): Promise<void> {
  const gate = new RateGate(settings.rate);
  const pending: Promise<void>[] = [];
  for (const item of items) {
    if (!item.confirmToken) continue;
    await gate.takeSlot();
    pending.push(
      settings.phone.confirm({ ...phoneInput(target, agent), confirmToken: item.confirmToken, code: item.ticket.matchCode }).then((outcome) => {
        item.confirm = outcome;
        if (outcome.result !== "confirmed") count(failures, `confirm: ${outcome.result}`);
      }),
    );
  }
  await Promise.all(pending);
}

const isConfirmed = (item: Watched): boolean => item.confirm?.result === "confirmed";

type Timings = { scanMs: number; confirmMs: number };

/** Scans then confirms `items` in batches (see SCAN_AHEAD_SECONDS), adding to `timings`. */
async function scanAndConfirm(items: Watched[], target: PhaseTarget, settings: PhaseSettings, failures: Map<string, number>, timings: Timings): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  try {
    const batchSize = Math.max(1, Math.floor(settings.phone.scanRate(settings.rate) * SCAN_AHEAD_SECONDS));
    for (let start = 0; start < items.length; start += batchSize) {
      const batch = items.slice(start, start + batchSize);
      await timed(timings, "scanMs", () => scanAll(batch, target, agent, settings, failures));
      await timed(timings, "confirmMs", () => confirmAll(batch, target, agent, settings, failures));
    }
  } finally {
    agent.destroy();
  }
}

async function timed(timings: Timings, key: keyof Timings, fn: () => Promise<void>): Promise<void> {
  const begun = performance.now();
  await fn();
  timings[key] += performance.now() - begun;
}

/** Waits until the page of every confirmed ticket has seen it, or `timeoutMs`. */
async function waitForNotifications(items: Watched[], timeoutMs: number): Promise<void> {
  await waitUntil(() => items.every((item) => !isConfirmed(item) || item.notifiedAt !== undefined), timeoutMs);
}

/** The browser's next step: redeem the confirmed ticket with its binding cookie, then read its session. */
async function checkRedeem(item: Watched): Promise<string | undefined> {
  const redeem = await item.browser.send(`/api/login-tickets/${item.ticket.id}/redeem`, { method: "POST" });
  if (redeem.status !== 200) return `redeem: HTTP ${redeem.status} ${redeem.body.slice(0, 80)}`;
  if (!item.browser.jar.getCookiesSync(item.browser.appUrl).some((cookie) => cookie.key === SESSION_COOKIE)) return `redeem: no ${SESSION_COOKIE} cookie`;
  const session = await item.browser.send("/api/auth/session");
  if (!sessionSchema.safeParse(JSON.parse(session.body) as unknown).success) return "redeem: /api/auth/session has no user";
  return undefined;
}

/**
 * `items` start watching: each stream answered with the current status, or each first poll
 * answered and its poller started. Connections open at most OPEN_CONCURRENCY at a time (a
 * thousand SYNs at once overflow the listen backlog). Running pollers pause meanwhile: a server
 * busy with hundreds of polls per second accepts about one new connection per event-loop turn,
 * and a turn then lasts up to a second (see the README).
 */
async function startWatching(items: Watched[], context: WatchContext): Promise<number> {
  let ready = 0;
  if (context.mode === "polling") {
    context.gate.paused = true;
    await waitUntil(() => context.gate.inFlight === 0, 30_000);
  }
  await forEachLimited(items, OPEN_CONCURRENCY, async (item) => {
    const isReady = context.mode === "sse" ? await watchWithEvents(item, context.failures) : await pollOnce(item, context.failures);
    if (isReady) ready++;
  });
  if (context.mode === "polling") {
    for (const item of items) startPoller(item, context);
    context.gate.paused = false;
  }
  return ready;
}

/**
 * All `items` start watching in RAMP_STEPS equal steps, the server's RSS read after each (the
 * median of ten samples over two seconds). The increase per browser is then the median over the
 * steps: a collection that returns old garbage, or V8 growing its young generation, lands in one
 * step and moves the median little, where it would swing a single before/after difference by as
 * much as the whole thousand browsers weigh.
 */
async function rampWatching(items: Watched[], context: WatchContext, serverPid: number, before: RssReading): Promise<{ ready: number; ramp: RampPoint[] }> {
  const ramp: RampPoint[] = [{ watching: 0, rss: before.median }];
  const stepSize = Math.ceil(items.length / RAMP_STEPS);
  let ready = 0;
  for (let start = 0; start < items.length; start += stepSize) {
    ready += await startWatching(items.slice(start, start + stepSize), context);
    await sleep(context.mode === "polling" ? 2 * POLL_INTERVAL_MS : 1000);
    ramp.push({ watching: ready, rss: (await sampleRss(serverPid)).median });
  }
  return { ready, ramp };
}

function log(settings: PhaseSettings, message: string): void {
  console.log(`[${settings.phone.surface} ${settings.mode === "sse" ? "SSE" : "polling"}] ${message}`);
}

export type PhaseTickets = { warmup: Watched[]; items: Watched[]; failures: Map<string, number> };

/**
 * Creates the phase's tickets, each in a fresh browser, through a shared setup agent that is
 * closed afterwards. The caller restarts the server before {@link runPhase}: rendering a
 * thousand QR images leaves hundreds of MiB that V8 returns only at some later collection, and
 * the memory reading must not depend on when that happens.
 */
export async function createPhaseTickets(settings: PhaseSettings, target: Omit<PhaseTarget, "serverPid">): Promise<PhaseTickets> {
  const failures = new Map<string, number>();
  const setupAgent = new Agent({ keepAlive: true, maxSockets: CREATE_CONCURRENCY });
  const begun = performance.now();
  try {
    const warmup = await createTickets(settings.phone, settings.warmup, target, setupAgent, new Map());
    const items = await createTickets(settings.phone, settings.browsers, target, setupAgent, failures);
    log(settings, `${items.length + warmup.length} tickets created in ${((performance.now() - begun) / 1000).toFixed(1)} s`);
    return { warmup, items, failures };
  } finally {
    setupAgent.destroy();
  }
}

/**
 * The measured part of a phase, on a freshly started server. SSE: streams open, memory read, then
 * scans and confirms. Polling: the scans go first, before any poller starts, because a thousand
 * pollers keep this server too busy to answer WeChat's push within its 5 s (every push then
 * fails); scans are not what is measured, and the confirm tokens they give stay valid for 5 minutes.
 */
export async function runPhase(settings: PhaseSettings, target: PhaseTarget, tickets: PhaseTickets): Promise<PhaseResult> {
  const { mode } = settings;
  const { warmup, items, failures } = tickets;
  const warmupFailures = new Map<string, number>();
  const context = createWatchContext(mode, failures);
  const timings: Timings = { scanMs: 0, confirmMs: 0 };

  // Warmup: the whole flow once for a few browsers, so the routes are compiled and the access token cached.
  await startWatching(warmup, createWatchContext(mode, warmupFailures));
  await scanAndConfirm(warmup, target, settings, warmupFailures, { scanMs: 0, confirmMs: 0 });
  await waitForNotifications(warmup, target.timeoutMs);
  for (const item of warmup) {
    item.stop();
    item.browser.dispose();
  }
  const warmedUp = warmup.filter((item) => item.notifiedAt !== undefined).length;
  log(settings, `warmup: ${warmedUp}/${warmup.length} notified${warmupFailures.size ? ` (failures: ${[...warmupFailures.keys()].join("; ")})` : ""}`);

  const phoneAgent = new Agent({ keepAlive: true });
  try {
    // The confirm links start ticking with the scans: polling reads no settled values after them.
    if (mode === "polling") await timed(timings, "scanMs", () => scanAll(items, target, phoneAgent, settings, failures));
    // No connection of ours is open now; the server holds the tickets and nothing else of ours.
    const before = mode === "sse" ? await readSettledRss(target.serverPid) : await sampleRss(target.serverPid);
    const begun = performance.now();
    const { ready: watching, ramp } = await rampWatching(items, context, target.serverPid, before);
    log(settings, `${watching}/${items.length} browsers waiting after ${((performance.now() - begun) / 1000).toFixed(1)} s (${ramp.length - 1} steps)`);
    const after = mode === "sse" ? await readSettledRss(target.serverPid) : await sampleRss(target.serverPid);
    log(settings, `server RSS ${(before.median / 2 ** 20).toFixed(1)} MiB → ${(after.median / 2 ** 20).toFixed(1)} MiB with ${watching} waiting browsers`);

    if (mode === "sse") await scanAndConfirm(items, target, settings, failures, timings);
    else await timed(timings, "confirmMs", () => confirmAll(items, target, phoneAgent, settings, failures));
    await waitForNotifications(items, target.timeoutMs);
    return finishPhase(settings, items, failures, { before, after, ramp, watching, timings, pollTotals: context.pollTotals });
  } finally {
    phoneAgent.destroy();
  }
}

async function finishPhase(
  settings: PhaseSettings,
  items: Watched[],
  failures: Map<string, number>,
  measured: { before: RssReading; after: RssReading; ramp: RampPoint[]; watching: number; timings: Timings; pollTotals: PollTotals },
): Promise<PhaseResult> {
  const { mode } = settings;
  const { timings } = measured;
  const scanned = items.filter((item) => item.confirmToken).length;
  const confirmed = items.filter(isConfirmed).length;
  log(settings, `${scanned} scanned in ${(timings.scanMs / 1000).toFixed(1)} s, ${confirmed} confirmed in ${(timings.confirmMs / 1000).toFixed(1)} s`);
  for (const item of items) item.stop();

  const notifiedMs: number[] = [];
  const confirmMs: number[] = [];
  for (const item of items) {
    if (!item.confirm || !isConfirmed(item)) continue;
    confirmMs.push(item.confirm.answeredAt - item.confirm.startedAt);
    if (item.notifiedAt !== undefined) notifiedMs.push(item.notifiedAt - item.confirm.startedAt);
    else count(failures, "notify: the page never saw confirmed");
  }

  const redeem = { tried: 0, ok: 0 };
  for (const item of items.filter((candidate) => candidate.notifiedAt !== undefined).slice(0, settings.redeem)) {
    redeem.tried++;
    const problem = await checkRedeem(item).catch((error: unknown) => `redeem: ${describeError(error)}`);
    if (problem) count(failures, problem);
    else redeem.ok++;
  }
  for (const item of items) item.browser.dispose();

  const { before, after, ramp, watching, pollTotals } = measured;
  return {
    surface: settings.phone.surface,
    mode,
    browsers: settings.browsers,
    created: items.length,
    watching,
    scanned,
    confirmed,
    notifiedMs,
    notNotified: settings.browsers - notifiedMs.length,
    confirmMs,
    rssBefore: before,
    rssAfter: after,
    ramp,
    scanSeconds: timings.scanMs / 1000,
    confirmSeconds: timings.confirmMs / 1000,
    redeem,
    ...(mode === "polling" ? { polls: pollTotals } : {}),
    failures,
  };
}

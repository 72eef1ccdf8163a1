/** The markdown `npm run bench:live` prints: the table, the targets and what else each phase saw. */
import type { PhaseResult } from "./live-phase";
import type { RssReading } from "./process-memory";
import { percentile } from "./stats";

export const TARGETS = { p50Ms: 20, p99Ms: 100, kibPerBrowser: 64 } as const;

const LABELS = { sse: "SSE (ours)", polling: "1 s polling (baseline)" } as const;

function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/**
 * Below this many browsers per ramp step, a step adds less memory than RSS moves by itself
 * (a few MiB), so the per-browser figure is not reported.
 */
const MIN_BROWSERS_PER_STEP = 100;

function isMemoryMeasurable(result: PhaseResult): boolean {
  const steps = result.ramp.length - 1;
  return steps > 0 && result.watching / steps >= MIN_BROWSERS_PER_STEP;
}

function formatKib(result: PhaseResult): string {
  return isMemoryMeasurable(result) ? formatNumber(kibPerBrowser(result), 1) : `n/a (< ${MIN_BROWSERS_PER_STEP} browsers per step)`;
}

/**
 * Server memory per waiting browser in KiB: the median over the ramp's steps of the RSS increase
 * per browser added (see rampWatching in live-phase.ts).
 */
export function kibPerBrowser(result: PhaseResult): number {
  const increments: number[] = [];
  for (let index = 1; index < result.ramp.length; index++) {
    const added = result.ramp[index]!.watching - result.ramp[index - 1]!.watching;
    if (added > 0) increments.push((result.ramp[index]!.rss - result.ramp[index - 1]!.rss) / added / 1024);
  }
  return percentile(increments, 50);
}

/** The plain before/after figure: (RSS with every browser waiting − RSS before) / browsers, in KiB. */
function endToEndKibPerBrowser(result: PhaseResult): number {
  return result.watching > 0 ? (result.rssAfter.median - result.rssBefore.median) / result.watching / 1024 : Number.NaN;
}

export function renderLiveTable(results: readonly PhaseResult[]): string {
  const lines = [
    "| surface | watching | browsers | confirmed | notified p50 (ms) | p99 (ms) | max (ms) | server memory per waiting browser (KiB) |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const result of results) {
    lines.push(
      `| ${result.surface} | ${LABELS[result.mode]} | ${result.browsers} | ${result.confirmed} | ${formatNumber(percentile(result.notifiedMs, 50), 1)} | ` +
        `${formatNumber(percentile(result.notifiedMs, 99), 1)} | ${formatNumber(percentile(result.notifiedMs, 100), 1)} | ${formatKib(result)} |`,
    );
  }
  return lines.join("\n");
}

function verdict(value: number, limit: number): string {
  return Number.isFinite(value) && value <= limit ? "PASS" : "FAIL";
}

/** The targets, and for each surface whether its SSE phase met them. */
export function renderTargets(results: readonly PhaseResult[]): string {
  const line = `targets: p50 ≤ ${TARGETS.p50Ms} ms, p99 ≤ ${TARGETS.p99Ms} ms, ≤ ${TARGETS.kibPerBrowser} KiB per waiting browser`;
  return [line, ...results.filter((result) => result.mode === "sse").map(renderSseVerdict)].join("\n");
}

function renderSseVerdict(sse: PhaseResult): string {
  const p50 = percentile(sse.notifiedMs, 50);
  const p99 = percentile(sse.notifiedMs, 99);
  const kib = kibPerBrowser(sse);
  const memory = isMemoryMeasurable(sse)
    ? `${formatNumber(kib, 1)} KiB per waiting browser ${verdict(kib, TARGETS.kibPerBrowser)}`
    : `memory not measured (needs --browsers ≥ ${MIN_BROWSERS_PER_STEP * (sse.ramp.length - 1)})`;
  return `${sse.surface} SSE: p50 ${formatNumber(p50, 1)} ms ${verdict(p50, TARGETS.p50Ms)}, p99 ${formatNumber(p99, 1)} ms ${verdict(p99, TARGETS.p99Ms)}, ${memory}`;
}

const MIB = 2 ** 20;

function describeRss(reading: RssReading): string {
  const low = Math.min(...reading.samples) / MIB;
  const high = Math.max(...reading.samples) / MIB;
  const waited = reading.settled ? `settled after ${(reading.waitedMs / 1000).toFixed(0)} s` : `over ${(reading.waitedMs / 1000).toFixed(0)} s, not settled`;
  return `${(reading.median / MIB).toFixed(1)} MiB (median of ${reading.samples.length}, ${low.toFixed(1)}–${high.toFixed(1)}, ${waited})`;
}

/** What each phase saw beyond the table: counts, memory samples, confirm request times, the redeem check. */
export function renderDetails(result: PhaseResult): string[] {
  const label = `${result.surface} ${LABELS[result.mode]}`;
  const lines = [
    `${label}: ${result.created} tickets created, ${result.watching} waiting, ${result.scanned} scanned in ${result.scanSeconds.toFixed(1)} s ` +
      `(${formatNumber(result.scanned / result.scanSeconds, 1)}/s), ${result.confirmed} confirmed in ${result.confirmSeconds.toFixed(1)} s ` +
      `(${formatNumber(result.confirmed / result.confirmSeconds, 1)}/s), ${result.notifiedMs.length} notified, ${result.notNotified} never notified`,
    `  server RSS ${describeRss(result.rssBefore)} before → ${describeRss(result.rssAfter)} with the browsers waiting: ` +
      `${formatNumber(endToEndKibPerBrowser(result), 1)} KiB per browser end to end`,
    `  RSS ramp (browsers: MiB): ${result.ramp.map((point) => `${point.watching}: ${(point.rss / MIB).toFixed(1)}`).join(", ")}; ` +
      `median step ${formatNumber(kibPerBrowser(result), 1)} KiB per browser`,
    `  confirm request (sent → answered) p50 ${formatNumber(percentile(result.confirmMs, 50), 1)} ms, p99 ${formatNumber(percentile(result.confirmMs, 99), 1)} ms, ` +
      `max ${formatNumber(percentile(result.confirmMs, 100), 1)} ms`,
    `  redeem check: ${result.redeem.ok}/${result.redeem.tried} browsers signed in (POST /redeem → session cookie → /api/auth/session)`,
  ];
  if (result.polls) {
    lines.push(
      `  polls answered ${result.polls.completed}, ticks skipped while a poll was still out ${result.polls.skippedTicks}, poll errors ${result.polls.errors}`,
    );
  }
  const reasons = [...result.failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6);
  for (const [reason, times] of reasons) lines.push(`  failure: ${times}× ${reason}`);
  return lines;
}

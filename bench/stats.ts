/** Aggregation of login results and the markdown the benchmark prints. */
import type { LoginResult, Provider } from "./login-flows";

export type Tally = {
  provider: Provider;
  logins: number;
  failures: number;
  /** Wall-clock time spent in this provider's measured rounds. */
  elapsedMs: number;
  callbackMs: number[];
  reasons: Map<string, number>;
};

export function createTally(provider: Provider): Tally {
  return { provider, logins: 0, failures: 0, elapsedMs: 0, callbackMs: [], reasons: new Map() };
}

export function addResults(tally: Tally, results: readonly LoginResult[], elapsedMs: number): void {
  tally.elapsedMs += elapsedMs;
  for (const result of results) {
    tally.logins++;
    if (result.ok) {
      tally.callbackMs.push(result.callbackMs);
      continue;
    }
    tally.failures++;
    tally.reasons.set(result.reason, (tally.reasons.get(result.reason) ?? 0) + 1);
  }
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Successful logins per second of measured wall-clock time: failed logins do not count. */
export function throughputOf(tally: Tally): number {
  return tally.elapsedMs > 0 ? (tally.logins - tally.failures) / (tally.elapsedMs / 1000) : Number.NaN;
}

export function failureRate(tally: Tally): number {
  return tally.logins > 0 ? tally.failures / tally.logins : 0;
}

function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

export function renderTable(tallies: readonly Tally[]): string {
  const lines = ["| provider | logins | failures | logins/s | callback p50 (ms) | callback p99 (ms) |", "|---|---:|---:|---:|---:|---:|"];
  for (const tally of tallies) {
    lines.push(
      `| ${tally.provider} | ${tally.logins} | ${tally.failures} | ${formatNumber(throughputOf(tally), 1)} | ` +
        `${formatNumber(percentile(tally.callbackMs, 50), 1)} | ${formatNumber(percentile(tally.callbackMs, 99), 1)} |`,
    );
  }
  return lines.join("\n");
}

export function renderRatios(ours: Tally, stock: Tally): string {
  const throughput = throughputOf(ours) / throughputOf(stock);
  const p50 = percentile(ours.callbackMs, 50) / percentile(stock.callbackMs, 50);
  return [
    `throughput ratio ours/stock = ${formatNumber(throughput, 2)}× (target ≥ 1.0×)`,
    `callback p50 ratio ours/stock = ${formatNumber(p50, 2)}× (lower is faster)`,
  ].join("\n");
}

/** The most frequent failure reasons, one line each, so a broken path says why. */
export function renderReasons(tally: Tally, limit = 5): string[] {
  return [...tally.reasons.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([reason, count]) => `  ${tally.provider}: ${count}× ${reason}`);
}

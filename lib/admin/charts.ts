/**
 * The console's pictures as server-side SVG: a funnel (one bar per step, proportional to the
 * first step) and a time series (stacked columns per bucket). Plain strings, so they need no
 * chart library in the browser and render in any page; every text is XML-escaped here, since
 * labels can carry what a user typed (a nickname) or an upstream sent (an errcode message).
 */

const WIDTH = 640;
const BAR_HEIGHT = 28;
const GAP = 10;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 120;

const COLORS = ["#07c160", "#10aeff", "#fa9d3b", "#576b95"] as const;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A number with at most one decimal, for SVG attributes (never NaN or Infinity). */
function num(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 10) / 10) : "0";
}

export type FunnelStep = {
  label: string;
  /** Null when the step is not known for this surface (drawn as a dash, no bar). */
  value: number | null;
  /** What to print beside the bar, e.g. "12 · 80%"; defaults to the value. */
  note?: string | undefined;
};

/** A horizontal funnel: each bar's width is its value over the largest value. */
export function funnelChart(steps: readonly FunnelStep[], options: { title: string; empty: string }): string {
  const height = Math.max(1, steps.length) * (BAR_HEIGHT + GAP) + GAP;
  const max = Math.max(0, ...steps.map((step) => step.value ?? 0));
  const track = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const rows = steps.map((step, index) => {
    const y = GAP + index * (BAR_HEIGHT + GAP);
    const width = max > 0 && step.value !== null ? (step.value / max) * track : 0;
    const note = step.note ?? (step.value === null ? "—" : String(step.value));
    return [
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT / 2 + 5}" text-anchor="end" font-size="13" fill="#1f2329">${escapeXml(step.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${num(track)}" height="${BAR_HEIGHT}" fill="#f2f3f5" rx="4"/>`,
      `<rect data-step="${index}" x="${LABEL_WIDTH}" y="${y}" width="${num(width)}" height="${BAR_HEIGHT}" fill="${COLORS[index % COLORS.length]}" rx="4"/>`,
      `<text x="${LABEL_WIDTH + track + 8}" y="${y + BAR_HEIGHT / 2 + 5}" font-size="13" fill="#1f2329">${escapeXml(note)}</text>`,
    ].join("");
  });
  const empty =
    max === 0 ? `<text x="${WIDTH / 2}" y="${height / 2 + 5}" text-anchor="middle" font-size="14" fill="#6b7280">${escapeXml(options.empty)}</text>` : "";
  return svg(height, options.title, rows.join("") + empty);
}

export type SeriesDef = { key: string; label: string };
export type SeriesBucket = { label: string; values: Record<string, number> };

const PLOT_TOP = 30;
const PLOT_BOTTOM = 28;
const PLOT_LEFT = 40;
const PLOT_HEIGHT = 160;

/**
 * Columns per time bucket, one per series side by side, with a legend. Heights are proportional
 * to the largest value of any series; every other x label is dropped when there are many buckets.
 */
export function seriesChart(buckets: readonly SeriesBucket[], series: readonly SeriesDef[], options: { title: string; empty: string }): string {
  const height = PLOT_TOP + PLOT_HEIGHT + PLOT_BOTTOM;
  const legend = series
    .map((def, index) => {
      const x = PLOT_LEFT + index * 130;
      return `<rect x="${x}" y="6" width="12" height="12" fill="${COLORS[index % COLORS.length]}"/><text x="${x + 16}" y="17" font-size="12" fill="#1f2329">${escapeXml(def.label)}</text>`;
    })
    .join("");
  const max = Math.max(0, ...buckets.flatMap((bucket) => series.map((def) => bucket.values[def.key] ?? 0)));
  const axis = `<line x1="${PLOT_LEFT}" y1="${PLOT_TOP + PLOT_HEIGHT}" x2="${WIDTH - 8}" y2="${PLOT_TOP + PLOT_HEIGHT}" stroke="#e5e7eb"/>`;
  if (buckets.length === 0 || max === 0) {
    const empty = `<text x="${WIDTH / 2}" y="${PLOT_TOP + PLOT_HEIGHT / 2}" text-anchor="middle" font-size="14" fill="#6b7280">${escapeXml(options.empty)}</text>`;
    return svg(height, options.title, legend + axis + empty);
  }
  const slot = (WIDTH - 8 - PLOT_LEFT) / buckets.length;
  const column = Math.max(1, (slot * 0.8) / Math.max(1, series.length));
  const labelEvery = Math.ceil(buckets.length / 8);
  const body = buckets
    .map((bucket, index) => {
      const x0 = PLOT_LEFT + index * slot + slot * 0.1;
      const columns = series
        .map((def, s) => {
          const value = bucket.values[def.key] ?? 0;
          const h = (value / max) * PLOT_HEIGHT;
          return `<rect data-series="${escapeXml(def.key)}" data-value="${value}" x="${num(x0 + s * column)}" y="${num(PLOT_TOP + PLOT_HEIGHT - h)}" width="${num(column)}" height="${num(h)}" fill="${COLORS[s % COLORS.length]}"/>`;
        })
        .join("");
      const label =
        index % labelEvery === 0
          ? `<text x="${num(x0 + (slot * 0.8) / 2)}" y="${PLOT_TOP + PLOT_HEIGHT + 18}" text-anchor="middle" font-size="11" fill="#6b7280">${escapeXml(bucket.label)}</text>`
          : "";
      return columns + label;
    })
    .join("");
  const scale = `<text x="${PLOT_LEFT - 6}" y="${PLOT_TOP + 4}" text-anchor="end" font-size="11" fill="#6b7280">${max}</text><text x="${PLOT_LEFT - 6}" y="${PLOT_TOP + PLOT_HEIGHT}" text-anchor="end" font-size="11" fill="#6b7280">0</text>`;
  return svg(height, options.title, legend + axis + scale + body);
}

function svg(height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>${body}</svg>`;
}

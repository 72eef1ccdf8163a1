import { describe, expect, it } from "vitest";
import { escapeXml, funnelChart, seriesChart } from "./charts";

const OPTIONS = { title: "Funnel", empty: "No attempts" };

function widths(svg: string): number[] {
  return [...svg.matchAll(/data-step="\d+" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((match) => Number(match[1]));
}

function heights(svg: string, key: string): number[] {
  return [...svg.matchAll(new RegExp(`data-series="${key}" data-value="\\d+" x="[\\d.]+" y="[\\d.]+" width="[\\d.]+" height="([\\d.]+)"`, "g"))].map((match) =>
    Number(match[1]),
  );
}

describe("the funnel chart", () => {
  it("draws each bar in proportion to the largest step", () => {
    const svg = funnelChart(
      [
        { label: "shown", value: 40 },
        { label: "scanned", value: 20 },
        { label: "confirmed", value: 10 },
        { label: "signed in", value: 0 },
      ],
      OPTIONS,
    );
    const [shown, scanned, confirmed, signedIn] = widths(svg);
    expect(shown).toBeGreaterThan(0);
    expect(scanned! / shown!).toBeCloseTo(0.5, 2);
    expect(confirmed! / shown!).toBeCloseTo(0.25, 2);
    expect(signedIn).toBe(0);
    expect(svg).not.toContain("No attempts");
  });

  it("draws no bar for an unknown step and says so when there is no data", () => {
    const svg = funnelChart(
      [
        { label: "shown", value: 0 },
        { label: "scanned", value: null },
      ],
      OPTIONS,
    );
    expect(widths(svg)).toEqual([0, 0]);
    expect(svg).toContain("No attempts");
    expect(svg).toContain("—");
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(funnelChart([], OPTIONS)).toContain("No attempts");
  });

  it("escapes every label, note and the title", () => {
    const svg = funnelChart([{ label: `<script>alert("x")</script>`, value: 3, note: "a & b" }], { title: `"><img>`, empty: "" });
    expect(svg).not.toContain("<script>");
    expect(svg).not.toContain("<img>");
    expect(svg).toContain("&#60;script&#62;");
    expect(svg).toContain("a &#38; b");
  });
});

describe("the time series chart", () => {
  const series = [
    { key: "shown", label: "Shown" },
    { key: "signedIn", label: "Signed in" },
  ];

  it("draws columns in proportion to the largest value of any series", () => {
    const svg = seriesChart(
      [
        { label: "10:00", values: { shown: 8, signedIn: 2 } },
        { label: "11:00", values: { shown: 4, signedIn: 4 } },
      ],
      series,
      OPTIONS,
    );
    const shown = heights(svg, "shown");
    const signedIn = heights(svg, "signedIn");
    expect(shown[1]! / shown[0]!).toBeCloseTo(0.5, 2);
    expect(signedIn[0]! / shown[0]!).toBeCloseTo(0.25, 2);
    expect(svg).toContain("10:00");
  });

  it("says so when there is no data, without NaN", () => {
    for (const buckets of [[], [{ label: "10:00", values: { shown: 0, signedIn: 0 } }]]) {
      const svg = seriesChart(buckets, series, OPTIONS);
      expect(svg).toContain("No attempts");
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  it("escapes labels and legend", () => {
    const svg = seriesChart([{ label: "<b>", values: { x: 1 } }], [{ key: "x", label: "a<b" }], OPTIONS);
    expect(svg).not.toContain("<b>");
    expect(svg).toContain("a&#60;b");
    expect(escapeXml(`'&"`)).toBe("&#39;&#38;&#34;");
  });
});

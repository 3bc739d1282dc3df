import { describe, expect, it } from "vitest";
import { withQuery } from "../src/api/http";
import { barChart } from "../src/lib/chart";
import { headerRows, parseOverride, replaySummary } from "../src/lib/deadLetters";

describe("dead letters helpers", () => {
  it("headers as rows from an object or a list of pairs", () => {
    expect(headerRows({ a: "1", b: null, c: 2 })).toEqual([
      ["a", "1"],
      ["b", null],
      ["c", "2"],
    ]);
    expect(headerRows([["k", "v"], ["bad"]])).toEqual([["k", "v"]]);
    expect(headerRows(null)).toEqual([]);
  });

  it("payload override: empty keeps the original, JSON replaces it, anything else is refused", () => {
    expect(parseOverride("  ")).toEqual({ ok: true, value: undefined });
    expect(parseOverride('{"amount": 5}')).toEqual({ ok: true, value: { amount: 5 } });
    expect(parseOverride("null")).toEqual({ ok: true, value: null });
    expect(parseOverride("{nope").ok).toBe(false);
  });

  it("summaries", () => {
    expect(replaySummary({ matched: 3, replayed: 2, dryRun: true, results: [] }, true)).toBe(
      "3 dead letters match, 2 would be replayed",
    );
  });
});

describe("API plumbing", () => {
  it("query strings skip empty values and repeat lists", () => {
    expect(withQuery("/x", { a: "1", b: "", c: null, d: undefined, e: ["p", "q"], f: 0 })).toBe(
      "/x?a=1&e=p&e=q&f=0",
    );
    expect(withQuery("/x", {})).toBe("/x");
  });
});

describe("bar chart geometry", () => {
  it("scales to the largest value and stacks bars from the baseline", () => {
    const bars = barChart(
      [
        { label: "a", value: 5 },
        { label: "b", value: 10 },
        { label: "c", value: 0 },
      ],
      300,
      100,
    );
    expect(bars.map((b) => [b.x, b.y, b.height])).toEqual([
      [0, 50, 50],
      [100, 0, 100],
      [200, 100, 0],
    ]);
    expect(barChart([], 10, 10)).toEqual([]);
  });
});

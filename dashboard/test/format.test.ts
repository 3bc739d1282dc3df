import { describe, expect, it } from "vitest";
import {
  durationBetween,
  formatCount,
  formatDuration,
  formatPercent,
  formatSeconds,
  formatTime,
  isoToLocalInput,
  localInputToIso,
} from "../src/lib/format";
import { languageOf } from "../src/lib/workers";
import { tone } from "../src/lib/status";

describe("formatting", () => {
  it("durations", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(3 * 3_600_000 + 7 * 60_000)).toBe("3 h 07 min");
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe("2 d 4 h");
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(-1500)).toBe("-1.50 s");
    expect(formatSeconds(0.012)).toBe("12 ms");
    expect(formatSeconds(0.0004)).toBe("< 1 ms");
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatSeconds(null)).toBe("–");
  });

  it("durations between times, open ones up to now", () => {
    expect(durationBetween("2026-01-01T00:00:00Z", "2026-01-01T00:00:02Z", 0)).toBe(2000);
    expect(durationBetween("2026-01-01T00:00:00Z", null, Date.parse("2026-01-01T00:01:00Z"))).toBe(60_000);
    expect(durationBetween(null, null, 0)).toBeNull();
  });

  it("times in UTC", () => {
    expect(formatTime("2026-01-05T10:03:07.123+00:00", true)).toBe("2026-01-05 10:03:07");
    expect(formatTime(null)).toBe("–");
    expect(formatTime("not a time")).toBe("–");
  });

  it("counts and rates", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(undefined)).toBe("–");
    expect(formatPercent(0.0103)).toBe("1.0 %");
    expect(formatPercent(0.5)).toBe("50 %");
    expect(formatPercent(null)).toBe("–");
  });

  it("datetime-local values round-trip through ISO instants", () => {
    const iso = localInputToIso("2026-03-04T05:06");
    expect(iso).toMatch(/Z$/);
    expect(isoToLocalInput(iso)).toBe("2026-03-04T05:06");
    expect(localInputToIso("")).toBe("");
    expect(localInputToIso("garbage")).toBe("");
  });

  it("worker languages and status tones", () => {
    expect(languageOf("legato-python-host-1-4242")).toBe("python");
    expect(languageOf("rdkafka")).toBe("?");
    expect(tone("failed")).toBe("bad");
    expect(tone("COMPLETED")).toBe("ok");
    expect(tone("DEAD_LETTERED")).toBe("bad");
    expect(tone("whatever")).toBe("neutral");
  });
});

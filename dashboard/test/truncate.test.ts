import { describe, expect, it } from "vitest";
import { displayText, splitStack, truncate } from "../src/lib/truncate";

describe("truncation", () => {
  it("leaves short text alone", () => {
    expect(truncate("abc", 3)).toEqual({ text: "abc", truncated: false, hiddenChars: 0, totalChars: 3 });
  });

  it("cuts long text and says how much is hidden", () => {
    const t = truncate("x".repeat(5000), 2000);
    expect(t.text).toHaveLength(2000);
    expect(t.truncated).toBe(true);
    expect(t.hiddenChars).toBe(3000);
  });

  it("never splits a surrogate pair", () => {
    const t = truncate("ab😀cd", 3);
    expect(t.text).toBe("ab");
    expect(t.hiddenChars).toBe(4);
  });

  it("refuses a negative limit", () => {
    expect(() => truncate("a", -1)).toThrow(RangeError);
  });

  it("shows values as JSON text, markup included verbatim", () => {
    expect(displayText("<script>alert(1)</script>")).toBe('"<script>alert(1)</script>"');
    expect(displayText({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(displayText(undefined)).toBe("null");
    expect(displayText(null)).toBe("null");
  });

  it("splits a stack into its headline and the rest", () => {
    expect(splitStack("Error: boom\n  at a\n  at b\n")).toEqual({
      head: "Error: boom",
      rest: "  at a\n  at b",
    });
    expect(splitStack("one line")).toEqual({ head: "one line", rest: "" });
    expect(splitStack(null)).toEqual({ head: "", rest: "" });
  });
});

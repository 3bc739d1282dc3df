// Large values are shown cut, with a "show all" that reveals the rest.

export const DEFAULT_LIMIT = 2000;

export interface Truncated {
  text: string;
  truncated: boolean;
  hiddenChars: number;
  totalChars: number;
}

/** A JSON value as the text shown to the operator (pretty JSON; `undefined` reads as "null"). */
export function displayText(value: unknown): string {
  if (value === undefined) return "null";
  try {
    return JSON.stringify(value, null, 2) ?? "null";
  } catch {
    return String(value);
  }
}

/** Cut `text` to at most `limit` characters, never splitting a surrogate pair. */
export function truncate(text: string, limit: number = DEFAULT_LIMIT): Truncated {
  if (limit < 0) throw new RangeError("limit must be >= 0");
  if (text.length <= limit) return { text, truncated: false, hiddenChars: 0, totalChars: text.length };
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return {
    text: text.slice(0, end),
    truncated: true,
    hiddenChars: text.length - end,
    totalChars: text.length,
  };
}

/** Split an error's stack from its headline: the first line shows, the rest folds away. */
export function splitStack(stack: string | null | undefined): { head: string; rest: string } {
  if (!stack) return { head: "", rest: "" };
  const trimmed = stack.replace(/\s+$/, "");
  const nl = trimmed.indexOf("\n");
  if (nl < 0) return { head: trimmed, rest: "" };
  return { head: trimmed.slice(0, nl), rest: trimmed.slice(nl + 1) };
}

/**
 * How every Legato process reads a LEGATO_* value (docs/configuration.md), tested against the
 * vectors the other SDKs and the orchestrator are tested against (schemas/env/vectors.json): an
 * unset, empty or whitespace-only variable keeps its default; values are trimmed; integers are
 * plain decimal; booleans are true/false/1/0/yes/no. An error names the variable, the form it must
 * take and the value, quoted as the Python SDK quotes it.
 */

import { SettingsError } from "./errors.js";
import { type LogLevel, parseLogLevel } from "./logging.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The bounds of an integer variable that names none: 32 bits, in every SDK (Kafka's settings are). */
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

export interface Range {
  minimum?: number;
  maximum?: number;
}

// What Python's str.strip() trims: not String.prototype.trim(), which also trims U+FEFF but keeps
// U+001C..U+001F and U+0085.
const SPACE = new Set(
  "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000",
);
const INTEGER = /^[+-]?[0-9]+$/;
const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

function strip(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && SPACE.has(value.charAt(start))) start += 1;
  while (end > start && SPACE.has(value.charAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

/** The trimmed value, or null when unset, empty or whitespace-only. */
export function optional(env: Env, name: string): string | null {
  const value = env[name];
  const stripped = value === undefined ? "" : strip(value);
  return stripped === "" ? null : stripped;
}

export function text<D>(env: Env, name: string, fallback: D): string | D {
  return optional(env, name) ?? fallback;
}

/** A plain decimal integer within `range` (by default, 32 bits). */
export function integer<D>(env: Env, name: string, fallback: D, range: Range = {}): number | D {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  if (!INTEGER.test(raw)) throw new SettingsError(`${name} must be an integer, got ${quote(raw)}`);
  const { minimum = INT32_MIN, maximum = INT32_MAX } = range;
  const value = BigInt(raw);
  if (value < BigInt(minimum)) {
    throw new SettingsError(`${name} must be at least ${minimum}, got ${value}`);
  }
  if (value > BigInt(maximum)) {
    throw new SettingsError(`${name} must be at most ${maximum}, got ${value}`);
  }
  return Number(value);
}

/** true/false/1/0/yes/no, in any case. */
export function boolean<D>(env: Env, name: string, fallback: D): boolean | D {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  const lower = raw.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new SettingsError(`${name} must be one of true/false/1/0/yes/no, got ${quote(raw)}`);
}

/** DEBUG, INFO, WARN (= WARNING), WARNING or ERROR, in any case. */
export function logLevel<D>(env: Env, name: string, fallback: D): LogLevel | D {
  const raw = optional(env, name);
  if (raw === null) return fallback;
  const level = parseLogLevel(raw);
  if (level === undefined) {
    throw new SettingsError(
      `${name} must be one of DEBUG, INFO, WARN, WARNING, ERROR, got ${quote(raw)}`,
    );
  }
  return level;
}

/** One of `allowed`, in any case (null when unset). */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | null {
  const raw = optional(env, name);
  if (raw === null) return null;
  const found = allowed.find((value) => value === raw.toUpperCase());
  if (found === undefined) {
    throw new SettingsError(`${name} must be one of ${allowed.join(", ")}, got ${quote(raw)}`);
  }
  return found;
}

const ESCAPES = new Map([
  ["\\", "\\\\"],
  ["\t", "\\t"],
  ["\n", "\\n"],
  ["\r", "\\r"],
]);
// Python's repr() shows these as escapes: control, format, private-use, unassigned and
// separator characters (except the space).
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

/** `value` as Python's repr() shows it: in single quotes, or double when it has only single ones. */
export function quote(value: string): string {
  const mark = value.includes("'") && !value.includes('"') ? '"' : "'";
  let shown = "";
  for (const char of value) {
    shown += char === mark ? `\\${char}` : (ESCAPES.get(char) ?? escapeUnprintable(char));
  }
  return `${mark}${shown}${mark}`;
}

function escapeUnprintable(char: string): string {
  if (char === " " || !UNPRINTABLE.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16);
  if (code < 0x100) return `\\x${hex.padStart(2, "0")}`;
  return code < 0x10000 ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
}

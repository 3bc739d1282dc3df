/**
 * Canonical JSON, the form the builder golden files hold (the same bytes from every SDK): object
 * keys sorted by Unicode code point, no whitespace, non-ASCII characters and `/` written as
 * themselves, numbers in their shortest round-trip form (integers without a fraction).
 */

/** `value` as canonical JSON text; throws a TypeError for a value with no JSON form. */
export function canonicalJson(value: unknown): string {
  const text = write(value, "");
  if (text === undefined) throw new TypeError(`a ${typeof value} has no JSON form`);
  return text;
}

function write(value: unknown, where: string): string | undefined {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form${at(where)}`);
      return JSON.stringify(value); // shortest round-trip form; -0 gives "0"
    case "string":
      return JSON.stringify(value);
    case "bigint":
      throw new TypeError(`a bigint has no JSON form${at(where)}`);
    case "object":
      return writeObject(value, where);
    default:
      return undefined; // undefined, functions and symbols: left out, as JSON.stringify does
  }
}

function writeObject(value: object, where: string): string | undefined {
  const withToJSON = value as { toJSON?: unknown };
  if (typeof withToJSON.toJSON === "function") {
    return write((withToJSON.toJSON as () => unknown).call(value), where);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, index) => write(item, `${where}[${index}]`) ?? "null");
    return `[${items.join(",")}]`;
  }
  const record = value as Record<string, unknown>;
  const members: string[] = [];
  for (const key of Object.keys(record).sort(byCodePoint)) {
    const text = write(record[key], `${where}.${key}`);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(",")}}`;
}

function at(where: string): string {
  return where === "" ? "" : ` (at ${where.replace(/^\./, "")})`;
}

/**
 * Orders strings by Unicode code point. JavaScript's default order is by UTF-16 code unit, which
 * differs only where a surrogate (U+D800-U+DFFF, half of a character above U+FFFF) meets a unit
 * of U+E000-U+FFFF: surrogates must sort after them.
 */
export function byCodePoint(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

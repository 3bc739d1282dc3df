import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { canonicalJson } from "../../src/index.js";
import { byCodePoint } from "../../src/workflow/canonical-json.js";

/** Code point order computed the slow, obvious way (a reference for byCodePoint). */
function referenceOrder(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return x.length - y.length;
}

/** The same value with each object's keys in reverse insertion order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([k, v]) => [k, reversedKeys(v)]));
}

const anyString = fc.string({ unit: "binary", maxLength: 12 });
const json = fc.jsonValue({ maxDepth: 4 });
const jsonWithUnicodeKeys = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    anyString,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(anyString, tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("canonical JSON", () => {
  it("orders strings by code point", () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        assert.equal(Math.sign(byCodePoint(a, b)), Math.sign(referenceOrder(a, b)));
      }),
    );
    assert.ok(byCodePoint("\u{1F600}", "\uFFFF") > 0, "an astral character sorts after U+FFFF");
  });

  it("writes every object with its keys in code point order, each value canonical", () => {
    fc.assert(
      fc.property(jsonWithUnicodeKeys, (value) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return;
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record).sort(referenceOrder);
        const members = keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
        assert.equal(canonicalJson(value), `{${members.join(",")}}`);
      }),
    );
  });

  it("does not depend on key insertion order, and parses back to the same value", () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(reversedKeys(value)), text);
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
        assert.equal(canonicalJson(JSON.parse(text)), text);
      }),
    );
  });

  it("has no whitespace outside strings", () => {
    fc.assert(
      fc.property(jsonWithUnicodeKeys, (value) => {
        const outside = canonicalJson(value).replace(/"(?:[^"\\]|\\.)*"/g, '""');
        assert.doesNotMatch(outside, /\s/);
      }),
    );
  });

  it("writes non-ASCII and / as themselves; escapes only quotes, backslashes and controls", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 20 }), (text) => {
        const written = canonicalJson(text);
        for (const [, escape] of written.matchAll(/\\(u[0-9a-f]{4}|.)/g)) {
          if (escape?.startsWith("u")) assert.ok(Number.parseInt(escape.slice(1), 16) < 0x20);
          else assert.match(escape ?? "", /^["\\bfnrt]$/);
        }
        assert.equal(JSON.parse(written), text);
      }),
    );
    assert.equal(
      canonicalJson({ path: "a/b", note: "Grüße ✓" }),
      '{"note":"Grüße ✓","path":"a/b"}',
    );
  });

  it("writes integers without a fraction and other numbers in the shortest round-trip form", () => {
    fc.assert(fc.property(fc.integer(), (n) => assert.equal(canonicalJson(n), String(n))));
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        assert.equal(Number(canonicalJson(d)), d === 0 ? 0 : d);
      }),
    );
    assert.equal(canonicalJson([30, 30.0, 2.5, 0.25, -0]), "[30,30,2.5,0.25,0]");
  });

  it("refuses values with no JSON form", () => {
    assert.throws(() => canonicalJson({ a: [Number.NaN] }), /NaN has no JSON form \(at a\[0\]\)/);
    assert.throws(() => canonicalJson(Infinity), TypeError);
    assert.throws(() => canonicalJson(1n), /bigint/);
    assert.throws(() => canonicalJson(undefined), TypeError);
    assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
  });
});

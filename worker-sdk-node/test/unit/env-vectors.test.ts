/**
 * The forms of a LEGATO_* value, against the vectors the other SDKs and the orchestrator are tested
 * against (schemas/env/vectors.json; docs/configuration.md).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Range, boolean, integer, logLevel, quote, text } from "../../src/env.js";
import { SettingsError } from "../../src/errors.js";
import { loadSettings } from "../../src/settings.js";
import { SCHEMAS_DIR } from "../support/paths.js";

interface Form {
  accept: [string, unknown][];
  refuse: string[];
  form?: string;
}

interface Vectors {
  blank: string[];
  forms: Record<string, Form>;
  ranges: {
    form: string;
    minimum: number;
    maximum?: number;
    accept: string[];
    refuse: [string, string][];
  }[];
  quoting: [string, string][];
}

const VECTORS = JSON.parse(
  readFileSync(join(SCHEMAS_DIR, "env", "vectors.json"), "utf8"),
) as Vectors;
const DEFAULT = Symbol("default");
// The SDK has variables of every form but decimals (only the orchestrator's retention settings).
const READERS = {
  text: (raw: string) => text({ X: raw }, "X", DEFAULT),
  integer: (raw: string, range?: Range) => integer({ X: raw }, "X", DEFAULT, range),
  boolean: (raw: string) => boolean({ X: raw }, "X", DEFAULT),
  logLevel: (raw: string) => logLevel({ X: raw }, "X", DEFAULT),
};
type FormName = keyof typeof READERS;

/** What `raw` means in `form` (DEFAULT: it keeps the default), or the error for a variable X. */
function read(form: FormName, raw: string, range?: Range): unknown {
  try {
    return READERS[form](raw, range);
  } catch (error) {
    if (error instanceof SettingsError) return error.message;
    throw error;
  }
}

describe("the shared vectors (schemas/env/vectors.json)", () => {
  for (const form of Object.keys(READERS) as FormName[]) {
    it(`reads the ${form} form as the vectors say`, () => {
      const vectors = VECTORS.forms[form];
      assert.ok(vectors, form);
      for (const [raw, meaning] of vectors.accept) {
        assert.deepEqual(read(form, raw), meaning, JSON.stringify(raw));
      }
      for (const raw of vectors.refuse) {
        const trimmed: string = text({ X: raw }, "X", "");
        const expected: string = `X must be ${vectors.form}, got ${quote(trimmed)}`;
        assert.equal(read(form, raw), expected, JSON.stringify(raw));
      }
      for (const raw of VECTORS.blank) {
        assert.equal(read(form, raw), DEFAULT, JSON.stringify(raw));
      }
    });
  }

  it("names the bound a number misses, and the number read", () => {
    assert.ok(VECTORS.ranges.length > 0);
    for (const { minimum, maximum, accept, refuse } of VECTORS.ranges) {
      for (const raw of accept) {
        assert.equal(read("integer", raw, { minimum, maximum }), Number(raw), raw);
      }
      for (const [raw, bound] of refuse) {
        const expected = `X must be ${bound}, got ${BigInt(raw)}`;
        assert.equal(read("integer", raw, { minimum, maximum }), expected, raw);
      }
    }
  });

  it("quotes a value as the Python SDK does", () => {
    assert.ok(VECTORS.quoting.length > 0);
    for (const [raw, shown] of VECTORS.quoting) {
      assert.equal(quote(raw), shown, JSON.stringify(raw));
      assert.equal(read("integer", raw), `X must be an integer, got ${shown}`, JSON.stringify(raw));
    }
  });

  it("keeps the default for any whitespace-only value, in every form (property)", () => {
    fc.assert(
      fc.property(
        fc.stringOf(fc.constantFrom(...VECTORS.blank.join("")), { maxLength: 6 }),
        (raw) => Object.keys(READERS).every((form) => read(form as FormName, raw) === DEFAULT),
      ),
    );
  });

  it("reads any 32-bit integer as itself, whatever surrounds it (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.constantFrom("", " ", "\t", "\n", "\u00a0"),
        (n, pad) => read("integer", `${pad}${n}${pad}`) === n,
      ),
    );
  });
});

describe("the SDK's integer variables", () => {
  for (const name of [
    "LEGATO_JOB_PARTITIONS",
    "LEGATO_WORKER_CONCURRENCY",
    "LEGATO_SHUTDOWN_TIMEOUT_MS",
    "LEGATO_MAX_PAYLOAD_BYTES",
    "LEGATO_MAX_POLL_INTERVAL_MS",
    "LEGATO_SESSION_TIMEOUT_MS",
    "LEGATO_STALL_TIMEOUT_MS",
  ]) {
    it(`${name} is at most 2147483647, as in every SDK`, () => {
      assert.doesNotThrow(() => loadSettings({ [name]: "2147483647" }));
      assert.throws(() => loadSettings({ [name]: "2147483648" }), {
        name: "SettingsError",
        message: `${name} must be at most 2147483647, got 2147483648`,
      });
    });
  }

  it("LEGATO_METRICS_PORT names the bound it misses", () => {
    assert.throws(() => loadSettings({ LEGATO_METRICS_PORT: "65536" }), {
      message: "LEGATO_METRICS_PORT must be at most 65535, got 65536",
    });
    assert.throws(() => loadSettings({ LEGATO_METRICS_PORT: "0" }), {
      message: "LEGATO_METRICS_PORT must be at least 1, got 0",
    });
  });
});

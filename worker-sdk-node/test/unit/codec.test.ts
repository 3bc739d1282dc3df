import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DecodeError,
  SchemaRegistry,
  decodeJob,
  decodeResult,
  encodeJob,
  encodeResult,
  schemaVersions,
} from "../../src/protocol/codec.js";
import type { Job, Result } from "../../src/protocol/messages.js";
import { loadSchemas } from "../../src/protocol/schemas.js";
import { SCHEMAS_DIR } from "../support/paths.js";

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe("golden vectors", () => {
  const cases = readdirSync(join(SCHEMAS_DIR, "testdata")).sort();

  it("exist", () => assert.ok(cases.length >= 5));

  for (const name of cases) {
    const dir = join(SCHEMAS_DIR, "testdata", name);
    const spec = JSON.parse(readFileSync(join(dir, "datum.json"), "utf8")) as {
      schema: string;
      datum: Record<string, unknown>;
    };
    const encoded = readFileSync(join(dir, "encoded.bin"));
    const isJob = spec.schema.endsWith("/Job");

    it(`${name} decodes to its datum`, () => {
      const decoded = isJob ? decodeJob(encoded) : decodeResult(encoded);
      assert.deepEqual(plain(decoded), spec.datum);
    });

    it(`${name} re-encodes byte for byte`, () => {
      const reencoded = isJob
        ? encodeJob(spec.datum as unknown as Job)
        : encodeResult(spec.datum as unknown as Result);
      assert.equal(reencoded.toString("hex"), encoded.toString("hex"));
    });
  }
});

describe("fingerprints", () => {
  it("equal schemas/fingerprints.txt", () => {
    const expected = new Map(
      readFileSync(join(SCHEMAS_DIR, "fingerprints.txt"), "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split(" ") as [string, string])
        .map(([ref, hex]) => [hex, ref]),
    );
    assert.deepEqual(schemaVersions(), expected);
  });

  it("cover every schema file", () => {
    assert.equal(loadSchemas(SCHEMAS_DIR).length, schemaVersions().size);
  });
});

describe("decode errors", () => {
  const job = readFileSync(join(SCHEMAS_DIR, "testdata", "job-minimal", "encoded.bin"));

  const rejects = (data: Buffer | undefined, pattern: RegExp): void => {
    assert.throws(
      () => decodeJob(data),
      (error: unknown) => {
        assert.ok(error instanceof DecodeError);
        assert.match(error.message, pattern);
        return true;
      },
    );
  };

  it("rejects a missing value", () => rejects(undefined, /C3 01/));
  it("rejects plain JSON", () => rejects(Buffer.from('{"jobId":"x"}'), /C3 01/));
  it("rejects a short header", () => rejects(Buffer.from([0xc3, 0x01, 0x4a]), /C3 01/));
  it("rejects an unknown fingerprint", () => {
    const data = Buffer.from(job);
    data.fill(0xff, 2, 10);
    rejects(data, /unknown writer schema fingerprint ffffffffffffffff/);
  });
  it("rejects a Result on a job topic", () => {
    const result = readFileSync(join(SCHEMAS_DIR, "testdata", "result-completed", "encoded.bin"));
    rejects(result, /expected a Job message, got a Result/);
  });
  it("rejects a truncated body", () => rejects(job.subarray(0, 30), /corrupt Job body/));
});

describe("schema evolution", () => {
  it("reads what an older version wrote, resolved to the newest schema", () => {
    const root = mkdtempSync(join(tmpdir(), "legato-schemas-"));
    const v1 = JSON.parse(readFileSync(join(SCHEMAS_DIR, "v1", "Job.avsc"), "utf8")) as {
      namespace: string;
      fields: unknown[];
    };
    const v2 = {
      ...v1,
      namespace: "dev.legato.protocol.v2",
      fields: [...v1.fields, { name: "priority", type: "int", default: 5 }],
    };
    for (const [version, schema] of [
      ["v1", v1],
      ["v2", v2],
    ] as const) {
      mkdirSync(join(root, version));
      writeFileSync(join(root, version, "Job.avsc"), JSON.stringify(schema));
    }
    const old = new SchemaRegistry(loadSchemas(join(root)).filter((s) => s.version === 1));
    const both = new SchemaRegistry(loadSchemas(root));
    const datum = JSON.parse(
      readFileSync(join(SCHEMAS_DIR, "testdata", "job-minimal", "datum.json"), "utf8"),
    ).datum;
    const written = old.encode("Job", datum);
    const read = both.decode("Job", written) as Record<string, unknown>;
    assert.equal(read.priority, 5);
    assert.equal(read.jobId, datum.jobId);
    assert.equal(
      both.encode("Job", read).subarray(2, 10).toString("hex"),
      [...both.versions()].find(([, ref]) => ref === "v2/Job")?.[0],
    );
  });
});

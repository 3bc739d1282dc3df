import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DecodeError,
  SchemaRegistry,
  decodeCancel,
  decodeJob,
  decodeProgress,
  decodeResult,
  decodeResultsRecord,
  encodeCancel,
  encodeJob,
  encodeProgress,
  encodeResult,
  isProgress,
  schemaVersions,
} from "../../src/protocol/codec.js";
import { loadSchemas } from "../../src/protocol/schemas.js";
import { SCHEMAS_DIR } from "../support/paths.js";

const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const CODECS: Record<
  string,
  { decode: (data: Buffer) => unknown; encode: (datum: never) => Buffer }
> = {
  Job: { decode: decodeJob, encode: encodeJob },
  Result: { decode: decodeResult, encode: encodeResult },
  Progress: { decode: decodeProgress, encode: encodeProgress },
  Cancel: { decode: decodeCancel, encode: encodeCancel },
};

/** The newest version of each record: a vector written by it must round-trip byte for byte. */
const NEWEST: Record<string, string> = {
  Job: "v2/Job",
  Result: "v1/Result",
  Progress: "v2/Progress",
  Cancel: "v2/Cancel",
};

describe("golden vectors", () => {
  const cases = readdirSync(join(SCHEMAS_DIR, "testdata")).sort();

  it("exist, for every record and version", () => {
    const schemas = new Set(
      cases.map(
        (name) =>
          (
            JSON.parse(readFileSync(join(SCHEMAS_DIR, "testdata", name, "datum.json"), "utf8")) as {
              schema: string;
            }
          ).schema,
      ),
    );
    assert.deepEqual(
      [...schemas].sort(),
      ["v1/Job", "v1/Result", "v2/Cancel", "v2/Job", "v2/Progress"].sort(),
    );
  });

  for (const name of cases) {
    const dir = join(SCHEMAS_DIR, "testdata", name);
    const spec = JSON.parse(readFileSync(join(dir, "datum.json"), "utf8")) as {
      schema: string;
      datum: Record<string, unknown>;
    };
    const encoded = readFileSync(join(dir, "encoded.bin"));
    const record = spec.schema.split("/")[1] as string;
    const codec = CODECS[record];
    assert.ok(codec !== undefined, `no codec for ${spec.schema}`);

    if (NEWEST[record] === spec.schema) {
      it(`${name} decodes to its datum`, () => {
        assert.deepEqual(plain(codec.decode(encoded)), spec.datum);
      });

      it(`${name} re-encodes byte for byte`, () => {
        const reencoded = codec.encode(spec.datum as never);
        assert.equal(reencoded.toString("hex"), encoded.toString("hex"));
      });
    } else {
      const resolved = JSON.parse(readFileSync(join(dir, "resolved.json"), "utf8")) as {
        schema: string;
        datum: Record<string, unknown>;
      };

      it(`${name} (${spec.schema}) decodes to resolved.json (${resolved.schema})`, () => {
        assert.equal(resolved.schema, NEWEST[record]);
        assert.deepEqual(plain(codec.decode(encoded)), resolved.datum);
      });

      it(`${name} is what the ${spec.schema} writer produces, byte for byte`, () => {
        const version = Number(spec.schema.slice(1, spec.schema.indexOf("/")));
        const old = new SchemaRegistry(
          loadSchemas(SCHEMAS_DIR).filter((s) => s.version <= version),
        );
        assert.equal(old.encode(record, spec.datum).toString("hex"), encoded.toString("hex"));
      });
    }
  }
});

describe("results topic records", () => {
  const vector = (name: string): Buffer =>
    readFileSync(join(SCHEMAS_DIR, "testdata", name, "encoded.bin"));

  it("tells a Progress from a Result by its fingerprint", () => {
    const progress = decodeResultsRecord(vector("progress-heartbeat"));
    const result = decodeResultsRecord(vector("result-completed"));
    assert.ok(isProgress(progress));
    assert.equal(progress.kind, "HEARTBEAT");
    assert.ok(!isProgress(result));
    assert.equal(result.status, "COMPLETED");
  });

  it("rejects a Job or a Cancel", () => {
    assert.throws(
      () => decodeResultsRecord(vector("job-v2-full")),
      /expected a Result or Progress message, got a Job/,
    );
    assert.throws(() => decodeResultsRecord(vector("cancel-run-cancelled")), DecodeError);
  });

  it("fills the optional Progress fields with null", () => {
    const progress = {
      jobId: "j",
      runId: "r",
      stepId: "s",
      attempt: 1,
      action: "a",
      kind: "STARTED" as const,
      workerId: "w",
      sdk: "node/0",
      startedAt: 1,
      at: 2,
    };
    const decoded = decodeProgress(encodeProgress(progress));
    assert.deepEqual(plain(decoded), { ...progress, details: null, reason: null });
  });
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

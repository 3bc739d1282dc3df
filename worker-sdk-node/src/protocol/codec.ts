/**
 * Avro single-object encoding: C3 01, the writer schema's CRC-64-AVRO fingerprint, the datum.
 *
 * Every schema version under schemas/ is loaded, so a message written by any known version decodes
 * (resolved to the newest version of its record); anything else throws DecodeError.
 */

import type avro from "avsc";
import type { Cancel, Job, Progress, Result } from "./messages.js";
import { type LoadedSchema, loadSchemas } from "./schemas.js";

export const MAGIC = Buffer.from([0xc3, 0x01]);
export const HEADER_LENGTH = 10;

/** The bytes are not a Legato message this reader knows. */
export class DecodeError extends Error {
  override name = "DecodeError";
}

export class SchemaRegistry {
  private readonly writers = new Map<string, LoadedSchema>();
  private readonly latest = new Map<string, LoadedSchema>();
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(schemas: LoadedSchema[] = loadSchemas()) {
    for (const schema of schemas) {
      this.writers.set(schema.fingerprint.toString("hex"), schema);
      const current = this.latest.get(schema.name);
      if (current === undefined || current.version < schema.version) {
        this.latest.set(schema.name, schema);
      }
    }
  }

  /** Fingerprint (hex) to schema ref (`v1/Job`), for diagnostics and tests. */
  versions(): Map<string, string> {
    return new Map([...this.writers].map(([hex, schema]) => [hex, schema.ref]));
  }

  encode(name: string, datum: unknown): Buffer {
    const schema = this.latestOf(name);
    return Buffer.concat([MAGIC, schema.fingerprint, schema.type.toBuffer(datum)]);
  }

  /** Decodes a message whose writer schema is one of the records `names`, resolved to its newest version. */
  decode(names: string | readonly string[], data: Buffer | null | undefined): unknown {
    const accepted = typeof names === "string" ? [names] : names;
    if (data == null || data.length < HEADER_LENGTH || !data.subarray(0, 2).equals(MAGIC)) {
      throw new DecodeError("not Avro single-object encoding (missing C3 01 header)");
    }
    const hex = data.subarray(2, HEADER_LENGTH).toString("hex");
    const writer = this.writers.get(hex);
    if (writer === undefined) throw new DecodeError(`unknown writer schema fingerprint ${hex}`);
    if (!accepted.includes(writer.name)) {
      throw new DecodeError(`expected a ${accepted.join(" or ")} message, got a ${writer.name}`);
    }
    const reader = this.latestOf(writer.name);
    try {
      const { value, offset } = reader.type.decode(
        data,
        HEADER_LENGTH,
        this.resolverFor(reader, writer),
      );
      if (offset < 0) throw new Error("truncated datum");
      return value;
    } catch (error) {
      throw new DecodeError(`corrupt ${writer.name} body: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  private latestOf(name: string): LoadedSchema {
    const schema = this.latest.get(name);
    if (schema === undefined) throw new Error(`no schema named ${name}`);
    return schema;
  }

  private resolverFor(reader: LoadedSchema, writer: LoadedSchema): avro.Resolver | undefined {
    if (reader === writer) return undefined;
    const key = `${writer.ref}->${reader.ref}`;
    let resolver = this.resolvers.get(key);
    if (resolver === undefined) {
      // Match record names without namespaces, so a schema may move namespace between versions.
      resolver = reader.type.createResolver(writer.type, { ignoreNamespaces: true });
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}

let shared: SchemaRegistry | undefined;

function registry(): SchemaRegistry {
  shared ??= new SchemaRegistry();
  return shared;
}

export function encodeJob(job: Job): Buffer {
  return registry().encode("Job", withNullDefaults(job, JOB_OPTIONALS));
}

/** A Job of any known version (v1 resolves to v2: its new fields are null). */
export function decodeJob(data: Buffer | null | undefined): Job {
  return registry().decode("Job", data) as Job;
}

export function encodeResult(result: Result): Buffer {
  return registry().encode("Result", withNullDefaults(result, RESULT_OPTIONALS));
}

export function decodeResult(data: Buffer | null | undefined): Result {
  return registry().decode("Result", data) as Result;
}

export function encodeProgress(progress: Progress): Buffer {
  return registry().encode("Progress", withNullDefaults(progress, PROGRESS_OPTIONALS));
}

export function decodeProgress(data: Buffer | null | undefined): Progress {
  return registry().decode("Progress", data) as Progress;
}

export function encodeCancel(cancel: Cancel): Buffer {
  return registry().encode("Cancel", cancel);
}

export function decodeCancel(data: Buffer | null | undefined): Cancel {
  return registry().decode("Cancel", data) as Cancel;
}

/** A record of the results topic: a Result or (v2) a Progress, told apart by its fingerprint. */
export function decodeResultsRecord(data: Buffer | null | undefined): Result | Progress {
  return registry().decode(RESULTS_RECORDS, data) as Result | Progress;
}

export function isProgress(record: Result | Progress): record is Progress {
  return "kind" in record;
}

export function schemaVersions(): Map<string, string> {
  return registry().versions();
}

const RESULTS_RECORDS = ["Result", "Progress"] as const;
const JOB_OPTIONALS = [
  "traceparent",
  "correlationId",
  "deadlineAt",
  "startToCloseMs",
  "heartbeatTimeoutMs",
  "lastHeartbeatDetails",
] as const;
const RESULT_OPTIONALS = ["traceparent", "correlationId"] as const;
const PROGRESS_OPTIONALS = ["details", "reason"] as const;

function withNullDefaults<T extends object>(datum: T, optionals: readonly string[]): T {
  const copy = { ...datum } as Record<string, unknown>;
  for (const field of optionals) copy[field] ??= null;
  return copy as T;
}

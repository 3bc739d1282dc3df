/**
 * Finds and loads every schema version under `schemas/v<N>/*.avsc`.
 *
 * In the repository the SDK reads `<repo>/schemas` (the single source of truth); a packed tarball
 * carries a copy in `<package>/schemas`, made by the `prepack` script.
 */

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import avro from "avsc";
import { PACKAGE_ROOT } from "../_package.js";
import { crc64AvroBytes } from "./crc64.js";

export interface LoadedSchema {
  /** Record name without namespace, e.g. `Job`. */
  name: string;
  version: number;
  /** `v1/Job`, as in fingerprints.txt. */
  ref: string;
  type: avro.Type;
  canonicalForm: string;
  fingerprint: Buffer;
}

const VERSION_DIR = /^v(\d+)$/;

function hasVersions(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((entry) => VERSION_DIR.test(entry));
}

export function schemasDir(): string {
  const candidates = [join(PACKAGE_ROOT, "..", "schemas"), join(PACKAGE_ROOT, "schemas")];
  const found = candidates.find(hasVersions);
  if (found === undefined) {
    throw new Error(`no Legato schemas found (looked in ${candidates.join(", ")})`);
  }
  return found;
}

/** Parsing Canonical Form of a schema (avsc exports it when asked for no extra attributes). */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

export function loadSchemas(dir: string = schemasDir()): LoadedSchema[] {
  const loaded: LoadedSchema[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const match = VERSION_DIR.exec(entry);
    if (match === null) continue;
    const version = Number(match[1]);
    for (const file of readdirSync(join(dir, entry)).sort()) {
      if (!file.endsWith(".avsc")) continue;
      const schema = JSON.parse(readFileSync(join(dir, entry, file), "utf8")) as avro.Schema;
      const type = avro.Type.forSchema(schema);
      const form = canonicalForm(type);
      const name = file.slice(0, -".avsc".length);
      loaded.push({
        name,
        version,
        ref: `${entry}/${name}`,
        type,
        canonicalForm: form,
        fingerprint: crc64AvroBytes(form),
      });
    }
  }
  return loaded;
}

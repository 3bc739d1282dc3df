import { fileURLToPath } from "node:url";

/** The repository's schemas/ folder (golden vectors and fingerprints live there). */
export const SCHEMAS_DIR = fileURLToPath(new URL("../../../schemas/", import.meta.url));

/** The repository's tests/conformance/builders/ folder (the builder golden files). */
export const BUILDERS_DIR = fileURLToPath(
  new URL("../../../tests/conformance/builders/", import.meta.url),
);

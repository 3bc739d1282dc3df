import { fileURLToPath } from "node:url";

/** The repository's schemas/ folder (golden vectors and fingerprints live there). */
export const SCHEMAS_DIR = fileURLToPath(new URL("../../../schemas/", import.meta.url));

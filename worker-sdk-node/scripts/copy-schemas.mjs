// Copies the repo's schemas/v*/ into the package before `npm pack`, so a packed tarball carries
// them. In the repo, the SDK reads ../schemas directly (the single source of truth).
import { cpSync, existsSync, readdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../../schemas/", import.meta.url));
const target = fileURLToPath(new URL("../schemas/", import.meta.url));
if (!existsSync(source)) throw new Error(`schemas not found at ${source}`);
rmSync(target, { recursive: true, force: true });
for (const entry of readdirSync(source)) {
  if (/^v\d+$/.test(entry)) cpSync(source + entry, target + entry, { recursive: true });
}

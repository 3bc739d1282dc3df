import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, withLogFields, withoutLogFields } from "../../src/logging.js";

/** The lines `fn` writes to stderr. */
async function captured(fn: () => Promise<void> | void): Promise<string[]> {
  const lines: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk).trimEnd());
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return lines;
}

describe("logger", () => {
  const logger = createLogger("DEBUG");
  const job = { run_id: "run-1", job_id: "job-1", trace_id: "abc", span_id: "def" };

  it("adds the running job's fields to the lines written in its async context", async () => {
    const lines = await captured(() =>
      withLogFields(job, async () => {
        logger.info("before");
        await new Promise((resolve) => setTimeout(resolve, 1));
        logger.warning("after a timer", { attempt: 2 });
      }),
    );
    assert.match(
      lines[0] ?? "",
      / INFO legato-worker before run_id=run-1 job_id=job-1 trace_id=abc/,
    );
    assert.match(
      lines[1] ?? "",
      / WARNING legato-worker after a timer attempt=2 run_id=run-1 job_id=job-1 trace_id=abc span_id=def$/,
    );
  });

  it("writes no job fields outside a job, or in work shared by jobs", async () => {
    const lines = await captured(async () => {
      logger.info("idle");
      await withLogFields(job, async () => {
        await new Promise<void>((resolve) =>
          withoutLogFields(() => setTimeout(() => (logger.info("batch"), resolve()), 1)),
        );
      });
    });
    assert.doesNotMatch(lines.join("\n"), /run_id|job_id|trace_id/);
    assert.equal(lines.length, 2);
  });
});

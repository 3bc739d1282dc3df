import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Workflow, ref, stepRef } from "../../src/index.js";
import { BUILDERS_DIR } from "../support/paths.js";

/** Every golden workflow, built with the builder only (plain JSON only for input/default). */
const BUILT: Record<string, () => Workflow> = {
  hello: () =>
    new Workflow("hello")
      .step("a", { action: "x" })
      .step("b", { action: "y", dependsOn: ["a"], input: ref("steps.a.output") }),

  "every-kind": () =>
    new Workflow("every-kind", {
      concurrency: { key: ref("input.customerId"), limit: 2, onLimit: "queue" },
      maxBacklog: 1000,
      priority: 2,
    })
      .step("validate", {
        action: "validate-order",
        retry: {
          maxAttempts: 5,
          initialDelayMs: 200,
          backoffCoefficient: 1.5,
          maxDelayMs: 10000,
          jitter: 0.25,
          nonRetryableErrors: ["BadOrder"],
        },
        startToCloseSeconds: 30,
        scheduleToStartSeconds: 60,
        heartbeatSeconds: 2.5,
      })
      .step("reserve-stock", {
        action: "reserve",
        dependsOn: ["validate"],
        forEach: "steps.validate.output.lines",
        maxParallel: 4,
        onItemFailure: "continue",
        input: { sku: ref("item.sku"), line: ref("index") },
      })
      .step("fraud", {
        action: "review-fraud",
        dependsOn: ["validate"],
        when: "steps.validate.output.total > `500`",
        input: { total: stepRef("validate", "output.total"), customer: ref("input.customer") },
      })
      .wait("cool-off", { seconds: 30, dependsOn: ["fraud"] })
      .wait("deadline", { until: new Date("2027-01-01T00:00:00Z"), dependsOn: ["validate"] })
      .signal("approval", {
        name: "approve",
        timeoutSeconds: 3600,
        default: { approved: false },
        dependsOn: ["cool-off", "deadline"],
      })
      .child("ship", {
        workflow: "shipping",
        version: 2,
        dependsOn: ["reserve-stock", "approval"],
        input: {
          stock: stepRef("reserve-stock"),
          approved: stepRef("approval", "output.approved"),
        },
        retry: { maxAttempts: 2 },
      })
      .step("notify", {
        action: "email",
        dependsOn: ["ship"],
        input: {
          express: ref("input.express || `false`"),
          lines: [1, 2.5, null, true, "x"],
          note: "Grüße, 東京 ✓",
        },
      }),
};

describe("builder golden files (tests/conformance/builders)", () => {
  for (const [name, build] of Object.entries(BUILT)) {
    it(`builds ${name}.json byte for byte`, () => {
      const golden = readFileSync(join(BUILDERS_DIR, `${name}.json`));
      const built = Buffer.from(`${build().toCanonicalJson()}\n`, "utf8");
      assert.equal(built.toString("utf8"), golden.toString("utf8"));
      assert.ok(built.equals(golden), "the same text, and the same bytes");
    });

    it(`toJSON() of ${name} is the golden object`, () => {
      const golden = JSON.parse(
        readFileSync(join(BUILDERS_DIR, `${name}.json`), "utf8"),
      ) as unknown;
      assert.deepEqual(build().toJSON(), golden);
    });
  }
});

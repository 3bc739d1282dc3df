import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { SettingsError } from "../../src/errors.js";
import { loadSettings } from "../../src/settings.js";

describe("loadSettings", () => {
  it("has the documented defaults", () => {
    assert.deepEqual(loadSettings({}), {
      bootstrapServers: ["localhost:9092"],
      jobsTopic: "workflow-jobs",
      resultsTopic: "workflow-results",
      groupPrefix: "legato-workers",
      jobPartitions: 6,
      workerId: `${hostname()}-${process.pid}`,
      concurrency: 16,
      shutdownTimeoutMs: 30000,
      logLevel: "INFO",
    });
  });

  it("reads every LEGATO_* variable", () => {
    const settings = loadSettings({
      LEGATO_KAFKA_BOOTSTRAP_SERVERS: "a:1, b:2",
      LEGATO_JOBS_TOPIC: "jobs",
      LEGATO_RESULTS_TOPIC: "results",
      LEGATO_GROUP_PREFIX: "grp",
      LEGATO_JOB_PARTITIONS: "3",
      LEGATO_WORKER_ID: "w-7",
      LEGATO_WORKER_CONCURRENCY: "4",
      LEGATO_SHUTDOWN_TIMEOUT_MS: "1500",
      LEGATO_LOG_LEVEL: "debug",
    });
    assert.deepEqual(settings, {
      bootstrapServers: ["a:1", "b:2"],
      jobsTopic: "jobs",
      resultsTopic: "results",
      groupPrefix: "grp",
      jobPartitions: 3,
      workerId: "w-7",
      concurrency: 4,
      shutdownTimeoutMs: 1500,
      logLevel: "DEBUG",
    });
  });

  it("treats empty values as unset and accepts WARN", () => {
    const settings = loadSettings({ LEGATO_JOBS_TOPIC: "", LEGATO_LOG_LEVEL: "warn" });
    assert.equal(settings.jobsTopic, "workflow-jobs");
    assert.equal(settings.logLevel, "WARNING");
  });

  it("lets explicit overrides win", () => {
    assert.equal(loadSettings({ LEGATO_WORKER_ID: "env" }, { workerId: "code" }).workerId, "code");
  });

  for (const [name, value] of [
    ["LEGATO_WORKER_CONCURRENCY", "0"],
    ["LEGATO_JOB_PARTITIONS", "six"],
    ["LEGATO_SHUTDOWN_TIMEOUT_MS", "-5"],
    ["LEGATO_LOG_LEVEL", "LOUD"],
    ["LEGATO_KAFKA_BOOTSTRAP_SERVERS", " , "],
  ] as const) {
    it(`rejects ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => loadSettings({ [name]: value }),
        (error: unknown) => error instanceof SettingsError && error.message.includes(name),
      );
    });
  }
});

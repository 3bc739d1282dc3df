import assert from "node:assert/strict";
import { hostname } from "node:os";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import fc from "fast-check";
import { SettingsError } from "../../src/errors.js";
import { loadSettings } from "../../src/settings.js";

const PLAINTEXT = {
  protocol: "PLAINTEXT",
  saslMechanism: null,
  saslUsername: null,
  saslPassword: null,
  sslCaFile: null,
  sslCertFile: null,
  sslKeyFile: null,
};

function rejects(env: Record<string, string>, name: string): void {
  assert.throws(
    () => loadSettings(env),
    (error: unknown) => error instanceof SettingsError && error.message.includes(name),
    `${JSON.stringify(env)} should be rejected naming ${name}`,
  );
}

describe("loadSettings", () => {
  it("has the documented defaults", () => {
    assert.deepEqual(loadSettings({}), {
      bootstrapServers: ["localhost:9092"],
      jobsTopic: "workflow-jobs",
      resultsTopic: "workflow-results",
      controlTopic: "workflow-control",
      groupPrefix: "legato-workers",
      jobPartitions: 6,
      workerId: `${hostname()}-${process.pid}`,
      concurrency: 16,
      shutdownTimeoutMs: 30000,
      logLevel: "INFO",
      createTopics: true,
      maxPayloadBytes: 1_000_000,
      maxPollIntervalMs: 300_000,
      sessionTimeoutMs: 10_000,
      stallTimeoutMs: 30_000,
      security: PLAINTEXT,
      metricsPort: null,
      metricsHost: "127.0.0.1",
    });
  });

  it("reads every LEGATO_* variable", () => {
    const settings = loadSettings({
      LEGATO_KAFKA_BOOTSTRAP_SERVERS: "a:1, b:2",
      LEGATO_JOBS_TOPIC: "jobs",
      LEGATO_RESULTS_TOPIC: "results",
      LEGATO_CONTROL_TOPIC: "control",
      LEGATO_GROUP_PREFIX: "grp",
      LEGATO_JOB_PARTITIONS: "3",
      LEGATO_WORKER_ID: "w-7",
      LEGATO_WORKER_CONCURRENCY: "4",
      LEGATO_SHUTDOWN_TIMEOUT_MS: "1500",
      LEGATO_LOG_LEVEL: "debug",
      LEGATO_CREATE_TOPICS: "no",
      LEGATO_MAX_PAYLOAD_BYTES: "2048",
      LEGATO_MAX_POLL_INTERVAL_MS: "20000",
      LEGATO_SESSION_TIMEOUT_MS: "6000",
      LEGATO_STALL_TIMEOUT_MS: "12000",
      LEGATO_KAFKA_SECURITY_PROTOCOL: "sasl_ssl",
      LEGATO_KAFKA_SASL_MECHANISM: "scram-sha-512",
      LEGATO_KAFKA_SASL_USERNAME: "legato",
      LEGATO_KAFKA_SASL_PASSWORD: "s3cret",
      LEGATO_KAFKA_SSL_CA_FILE: "/ca.pem",
      LEGATO_KAFKA_SSL_CERT_FILE: "/cert.pem",
      LEGATO_KAFKA_SSL_KEY_FILE: "/key.pem",
      LEGATO_METRICS_PORT: "9464",
      LEGATO_METRICS_HOST: "0.0.0.0",
    });
    const { security, ...rest } = settings;
    assert.deepEqual(rest, {
      bootstrapServers: ["a:1", "b:2"],
      jobsTopic: "jobs",
      resultsTopic: "results",
      controlTopic: "control",
      groupPrefix: "grp",
      jobPartitions: 3,
      workerId: "w-7",
      concurrency: 4,
      shutdownTimeoutMs: 1500,
      logLevel: "DEBUG",
      createTopics: false,
      maxPayloadBytes: 2048,
      maxPollIntervalMs: 20000,
      sessionTimeoutMs: 6000,
      stallTimeoutMs: 12000,
      metricsPort: 9464,
      metricsHost: "0.0.0.0",
    });
    assert.equal(security.protocol, "SASL_SSL");
    assert.equal(security.saslMechanism, "SCRAM-SHA-512");
    assert.equal(security.saslUsername, "legato");
    assert.equal(security.saslPassword?.reveal(), "s3cret");
    assert.deepEqual(
      [security.sslCaFile, security.sslCertFile, security.sslKeyFile],
      ["/ca.pem", "/cert.pem", "/key.pem"],
    );
  });

  it("treats empty and whitespace-only values as unset, trims values, accepts WARN", () => {
    const settings = loadSettings({
      LEGATO_JOBS_TOPIC: "",
      LEGATO_RESULTS_TOPIC: "   ",
      LEGATO_GROUP_PREFIX: "  grp \t",
      LEGATO_WORKER_CONCURRENCY: " 5 ",
      LEGATO_LOG_LEVEL: "warn",
    });
    assert.equal(settings.jobsTopic, "workflow-jobs");
    assert.equal(settings.resultsTopic, "workflow-results");
    assert.equal(settings.groupPrefix, "grp");
    assert.equal(settings.concurrency, 5);
    assert.equal(settings.logLevel, "WARNING");
  });

  it("turns metrics on with a valid LEGATO_METRICS_PORT only", () => {
    assert.equal(loadSettings({ LEGATO_METRICS_PORT: " " }).metricsPort, null);
    assert.equal(loadSettings({ LEGATO_METRICS_PORT: "65535" }).metricsPort, 65535);
    rejects({ LEGATO_METRICS_PORT: "0" }, "LEGATO_METRICS_PORT");
    rejects({ LEGATO_METRICS_PORT: "65536" }, "LEGATO_METRICS_PORT");
    rejects({ LEGATO_METRICS_PORT: "http" }, "LEGATO_METRICS_PORT");
  });

  it("accepts every log level spelling, case-insensitively", () => {
    for (const [raw, level] of [
      ["debug", "DEBUG"],
      ["Info", "INFO"],
      ["WARN", "WARNING"],
      ["warning", "WARNING"],
      ["ERROR", "ERROR"],
    ] as const) {
      assert.equal(loadSettings({ LEGATO_LOG_LEVEL: raw }).logLevel, level);
    }
  });

  it("allows LEGATO_SHUTDOWN_TIMEOUT_MS=0 (no drain wait)", () => {
    assert.equal(loadSettings({ LEGATO_SHUTDOWN_TIMEOUT_MS: "0" }).shutdownTimeoutMs, 0);
  });

  it("allows LEGATO_STALL_TIMEOUT_MS=0 (no stall warning)", () => {
    assert.equal(loadSettings({ LEGATO_STALL_TIMEOUT_MS: "0" }).stallTimeoutMs, 0);
    assert.equal(loadSettings({ LEGATO_STALL_TIMEOUT_MS: " 45000 " }).stallTimeoutMs, 45_000);
  });

  it("lets explicit overrides win", () => {
    assert.equal(loadSettings({ LEGATO_WORKER_ID: "env" }, { workerId: "code" }).workerId, "code");
  });

  for (const [name, value] of [
    ["LEGATO_WORKER_CONCURRENCY", "0"],
    ["LEGATO_JOB_PARTITIONS", "0"],
    ["LEGATO_JOB_PARTITIONS", "six"],
    ["LEGATO_JOB_PARTITIONS", "1.5"],
    ["LEGATO_SHUTDOWN_TIMEOUT_MS", "-5"],
    ["LEGATO_MAX_PAYLOAD_BYTES", "1e6"],
    ["LEGATO_SESSION_TIMEOUT_MS", "0x10"],
    ["LEGATO_STALL_TIMEOUT_MS", "-1"],
    ["LEGATO_STALL_TIMEOUT_MS", "2.5"],
    ["LEGATO_STALL_TIMEOUT_MS", "30s"],
    ["LEGATO_LOG_LEVEL", "LOUD"],
    ["LEGATO_CREATE_TOPICS", "maybe"],
    ["LEGATO_KAFKA_BOOTSTRAP_SERVERS", " , "],
    ["LEGATO_KAFKA_SECURITY_PROTOCOL", "TLS"],
  ] as const) {
    it(`rejects ${name}=${value} naming the variable`, () => rejects({ [name]: value }, name));
  }

  it("says 'must be at least 1' for a zero concurrency or partition count", () => {
    assert.throws(() => loadSettings({ LEGATO_WORKER_CONCURRENCY: "0" }), /must be at least 1/);
    assert.throws(() => loadSettings({ LEGATO_JOB_PARTITIONS: "0" }), /must be at least 1/);
  });

  it("parses booleans as true/false/1/0/yes/no in any case", () => {
    for (const [raw, value] of [
      ["TRUE", true],
      ["1", true],
      ["Yes", true],
      ["false", false],
      ["0", false],
      ["NO", false],
    ] as const) {
      assert.equal(loadSettings({ LEGATO_CREATE_TOPICS: raw }).createTopics, value);
    }
  });

  it("parses any plain decimal integer, with surrounding whitespace (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.constantFrom("", " ", "\t", "  "),
        (n, pad) => {
          const env = { LEGATO_MAX_PAYLOAD_BYTES: `${pad}${n}${pad}` };
          return loadSettings(env).maxPayloadBytes === n;
        },
      ),
    );
  });

  it("rejects any integer text that is not plain decimal (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !/^\s*[+-]?\d+\s*$/.test(s) && s.trim() !== ""),
        (raw) => {
          try {
            loadSettings({ LEGATO_WORKER_CONCURRENCY: raw });
            return false;
          } catch (error) {
            return (
              error instanceof SettingsError && error.message.includes("LEGATO_WORKER_CONCURRENCY")
            );
          }
        },
      ),
    );
  });
});

describe("security settings", () => {
  const sasl = {
    LEGATO_KAFKA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
    LEGATO_KAFKA_SASL_MECHANISM: "PLAIN",
    LEGATO_KAFKA_SASL_USERNAME: "user",
    LEGATO_KAFKA_SASL_PASSWORD: "hunter2-secret",
  };

  it("requires the mechanism, username and password for SASL_*", () => {
    for (const name of [
      "LEGATO_KAFKA_SASL_MECHANISM",
      "LEGATO_KAFKA_SASL_USERNAME",
      "LEGATO_KAFKA_SASL_PASSWORD",
    ]) {
      rejects({ ...sasl, [name]: " " }, name);
    }
  });

  it("rejects an unknown SASL mechanism", () => {
    rejects({ ...sasl, LEGATO_KAFKA_SASL_MECHANISM: "GSSAPI" }, "LEGATO_KAFKA_SASL_MECHANISM");
  });

  it("rejects a client certificate without its key, and a key without its certificate", () => {
    rejects(
      { LEGATO_KAFKA_SECURITY_PROTOCOL: "SSL", LEGATO_KAFKA_SSL_CERT_FILE: "/c.pem" },
      "LEGATO_KAFKA_SSL_KEY_FILE",
    );
    rejects(
      { LEGATO_KAFKA_SECURITY_PROTOCOL: "SSL", LEGATO_KAFKA_SSL_KEY_FILE: "/k.pem" },
      "LEGATO_KAFKA_SSL_CERT_FILE",
    );
  });

  it("never shows the password: inspect, toString, JSON and template strings print ***", () => {
    const settings = loadSettings(sasl);
    const shown = [
      inspect(settings, { depth: 10 }),
      JSON.stringify(settings),
      String(settings.security.saslPassword),
      `${settings.security.saslPassword}`,
    ];
    for (const text of shown) {
      assert.ok(!text.includes("hunter2-secret"), `password leaked in: ${text}`);
    }
    assert.match(shown[0] ?? "", /\*\*\*/);
    assert.equal(settings.security.saslPassword?.reveal(), "hunter2-secret");
  });
});

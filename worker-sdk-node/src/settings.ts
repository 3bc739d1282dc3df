/** The LEGATO_* configuration contract (same names and defaults in every SDK), read in one place. */

import { hostname } from "node:os";
import { type Env, boolean, integer, logLevel, oneOf, optional, text } from "./env.js";
import { SettingsError } from "./errors.js";
import type { LogLevel } from "./logging.js";
import { Secret } from "./secret.js";

export const SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];
export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How to reach a secured Kafka (LEGATO_KAFKA_SECURITY_PROTOCOL and friends). */
export interface KafkaSecurity {
  /** LEGATO_KAFKA_SECURITY_PROTOCOL. */
  protocol: SecurityProtocol;
  /** LEGATO_KAFKA_SASL_MECHANISM (SASL_* only). */
  saslMechanism: SaslMechanism | null;
  /** LEGATO_KAFKA_SASL_USERNAME (SASL_* only). */
  saslUsername: string | null;
  /** LEGATO_KAFKA_SASL_PASSWORD (SASL_* only); masked as *** when printed. */
  saslPassword: Secret | null;
  /** LEGATO_KAFKA_SSL_CA_FILE: PEM CA bundle (default: the system CAs). */
  sslCaFile: string | null;
  /** LEGATO_KAFKA_SSL_CERT_FILE / LEGATO_KAFKA_SSL_KEY_FILE: PEM client cert and key (mutual TLS). */
  sslCertFile: string | null;
  sslKeyFile: string | null;
}

export interface Settings {
  /** LEGATO_KAFKA_BOOTSTRAP_SERVERS, comma-separated. */
  bootstrapServers: string[];
  /** LEGATO_JOBS_TOPIC: job topic prefix; the DLT is `<prefix>.DLT`. */
  jobsTopic: string;
  /** LEGATO_RESULTS_TOPIC. */
  resultsTopic: string;
  /** LEGATO_CONTROL_TOPIC: the control topic (Cancel records, protocol v2). */
  controlTopic: string;
  /** LEGATO_GROUP_PREFIX: consumer group prefix. */
  groupPrefix: string;
  /** LEGATO_JOB_PARTITIONS: partitions of a job topic created by this process. */
  jobPartitions: number;
  /** LEGATO_WORKER_ID: identity in results and client ids. */
  workerId: string;
  /** LEGATO_WORKER_CONCURRENCY: handlers running at once per process. */
  concurrency: number;
  /** LEGATO_SHUTDOWN_TIMEOUT_MS: drain limit on SIGTERM/SIGINT (0: no drain wait). */
  shutdownTimeoutMs: number;
  /** LEGATO_LOG_LEVEL. */
  logLevel: LogLevel;
  /** LEGATO_CREATE_TOPICS: create missing topics at start. */
  createTopics: boolean;
  /** LEGATO_MAX_PAYLOAD_BYTES: max UTF-8 bytes of a result's output JSON text. */
  maxPayloadBytes: number;
  /** LEGATO_MAX_POLL_INTERVAL_MS: the consumer's max.poll.interval.ms (rebalance timeout). */
  maxPollIntervalMs: number;
  /** LEGATO_SESSION_TIMEOUT_MS: the consumer's session.timeout.ms. */
  sessionTimeoutMs: number;
  /**
   * LEGATO_STALL_TIMEOUT_MS: how long records may wait in an action's assigned partitions, with a
   * free handler slot and nothing fetched, before the worker warns that its consumer is not
   * making progress (0: no warning; the records-behind gauge is still kept).
   */
  stallTimeoutMs: number;
  /** Security of every Kafka connection. */
  security: KafkaSecurity;
  /** LEGATO_METRICS_PORT: serve Prometheus metrics on this port (null: off, the default). */
  metricsPort: number | null;
  /** LEGATO_METRICS_HOST: the address the metrics server binds (default 127.0.0.1). */
  metricsHost: string;
}

function loadSecurity(env: Env): KafkaSecurity {
  const protocol = oneOf(env, "LEGATO_KAFKA_SECURITY_PROTOCOL", SECURITY_PROTOCOLS) ?? "PLAINTEXT";
  const sasl = protocol.startsWith("SASL_");
  const security: KafkaSecurity = {
    protocol,
    saslMechanism: null,
    saslUsername: null,
    saslPassword: null,
    sslCaFile: optional(env, "LEGATO_KAFKA_SSL_CA_FILE"),
    sslCertFile: optional(env, "LEGATO_KAFKA_SSL_CERT_FILE"),
    sslKeyFile: optional(env, "LEGATO_KAFKA_SSL_KEY_FILE"),
  };
  if (sasl) {
    const mechanism = oneOf(env, "LEGATO_KAFKA_SASL_MECHANISM", SASL_MECHANISMS);
    const username = optional(env, "LEGATO_KAFKA_SASL_USERNAME");
    const password = optional(env, "LEGATO_KAFKA_SASL_PASSWORD");
    for (const [name, value] of [
      ["LEGATO_KAFKA_SASL_MECHANISM", mechanism],
      ["LEGATO_KAFKA_SASL_USERNAME", username],
      ["LEGATO_KAFKA_SASL_PASSWORD", password],
    ] as const) {
      if (value === null) {
        throw new SettingsError(
          `${name} is required when LEGATO_KAFKA_SECURITY_PROTOCOL=${protocol}`,
        );
      }
    }
    security.saslMechanism = mechanism;
    security.saslUsername = username;
    security.saslPassword = new Secret(password as string);
  }
  if ((security.sslCertFile === null) !== (security.sslKeyFile === null)) {
    const missing =
      security.sslCertFile === null ? "LEGATO_KAFKA_SSL_CERT_FILE" : "LEGATO_KAFKA_SSL_KEY_FILE";
    throw new SettingsError(
      `${missing} is required: mutual TLS needs both LEGATO_KAFKA_SSL_CERT_FILE and LEGATO_KAFKA_SSL_KEY_FILE`,
    );
  }
  return security;
}

/** Reads the LEGATO_* variables (default: process.env); `overrides` win over the environment. */
export function loadSettings(env: Env = process.env, overrides: Partial<Settings> = {}): Settings {
  const servers = text(env, "LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
  const level = logLevel(env, "LEGATO_LOG_LEVEL", "INFO");
  const settings: Settings = {
    bootstrapServers: servers,
    jobsTopic: text(env, "LEGATO_JOBS_TOPIC", "workflow-jobs"),
    resultsTopic: text(env, "LEGATO_RESULTS_TOPIC", "workflow-results"),
    controlTopic: text(env, "LEGATO_CONTROL_TOPIC", "workflow-control"),
    groupPrefix: text(env, "LEGATO_GROUP_PREFIX", "legato-workers"),
    jobPartitions: integer(env, "LEGATO_JOB_PARTITIONS", 6, { minimum: 1 }),
    workerId: text(env, "LEGATO_WORKER_ID", `${hostname()}-${process.pid}`),
    concurrency: integer(env, "LEGATO_WORKER_CONCURRENCY", 16, { minimum: 1 }),
    shutdownTimeoutMs: integer(env, "LEGATO_SHUTDOWN_TIMEOUT_MS", 30_000, { minimum: 0 }),
    logLevel: level,
    createTopics: boolean(env, "LEGATO_CREATE_TOPICS", true),
    maxPayloadBytes: integer(env, "LEGATO_MAX_PAYLOAD_BYTES", 1_000_000, { minimum: 1 }),
    maxPollIntervalMs: integer(env, "LEGATO_MAX_POLL_INTERVAL_MS", 300_000, { minimum: 1 }),
    sessionTimeoutMs: integer(env, "LEGATO_SESSION_TIMEOUT_MS", 10_000, { minimum: 1 }),
    stallTimeoutMs: integer(env, "LEGATO_STALL_TIMEOUT_MS", 30_000, { minimum: 0 }),
    security: loadSecurity(env),
    metricsPort: integer(env, "LEGATO_METRICS_PORT", null, { minimum: 1, maximum: 65_535 }),
    metricsHost: text(env, "LEGATO_METRICS_HOST", "127.0.0.1"),
    ...overrides,
  };
  if (settings.bootstrapServers.length === 0) {
    throw new SettingsError("LEGATO_KAFKA_BOOTSTRAP_SERVERS must name at least one host:port");
  }
  return settings;
}

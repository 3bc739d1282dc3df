/** The LEGATO_* configuration contract (same names and defaults in every SDK), read in one place. */

import { hostname } from "node:os";
import { SettingsError } from "./errors.js";
import { type LogLevel, parseLogLevel } from "./logging.js";

export interface Settings {
  /** LEGATO_KAFKA_BOOTSTRAP_SERVERS, comma-separated. */
  bootstrapServers: string[];
  /** LEGATO_JOBS_TOPIC: job topic prefix; the DLT is `<prefix>.DLT`. */
  jobsTopic: string;
  /** LEGATO_RESULTS_TOPIC. */
  resultsTopic: string;
  /** LEGATO_GROUP_PREFIX: consumer group prefix. */
  groupPrefix: string;
  /** LEGATO_JOB_PARTITIONS: partitions of a job topic created by this process. */
  jobPartitions: number;
  /** LEGATO_WORKER_ID: identity in results and client ids. */
  workerId: string;
  /** LEGATO_WORKER_CONCURRENCY: handlers running at once per process. */
  concurrency: number;
  /** LEGATO_SHUTDOWN_TIMEOUT_MS: drain limit on SIGTERM/SIGINT. */
  shutdownTimeoutMs: number;
  /** LEGATO_LOG_LEVEL. */
  logLevel: LogLevel;
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? fallback : value;
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = text(env, name, String(fallback));
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new SettingsError(`${name} must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

/** Reads the LEGATO_* variables (default: process.env); `overrides` win over the environment. */
export function loadSettings(env: Env = process.env, overrides: Partial<Settings> = {}): Settings {
  const servers = text(env, "LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    .split(",")
    .map((server) => server.trim())
    .filter((server) => server !== "");
  const level = text(env, "LEGATO_LOG_LEVEL", "INFO");
  const logLevel = parseLogLevel(level);
  if (logLevel === undefined) {
    throw new SettingsError(
      `LEGATO_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got "${level}"`,
    );
  }
  const settings: Settings = {
    bootstrapServers: servers,
    jobsTopic: text(env, "LEGATO_JOBS_TOPIC", "workflow-jobs"),
    resultsTopic: text(env, "LEGATO_RESULTS_TOPIC", "workflow-results"),
    groupPrefix: text(env, "LEGATO_GROUP_PREFIX", "legato-workers"),
    jobPartitions: positiveInt(env, "LEGATO_JOB_PARTITIONS", 6),
    workerId: text(env, "LEGATO_WORKER_ID", `${hostname()}-${process.pid}`),
    concurrency: positiveInt(env, "LEGATO_WORKER_CONCURRENCY", 16),
    shutdownTimeoutMs: positiveInt(env, "LEGATO_SHUTDOWN_TIMEOUT_MS", 30000),
    logLevel,
    ...overrides,
  };
  if (settings.bootstrapServers.length === 0) {
    throw new SettingsError("LEGATO_KAFKA_BOOTSTRAP_SERVERS must name at least one host:port");
  }
  return settings;
}

/** Kafka client construction (security, partitioner, group timeouts) and topic creation. */

import { readFileSync } from "node:fs";
import type { ConnectionOptions as TlsOptions } from "node:tls";
import { Admin, Consumer, ProduceAcks, Producer, type SASLOptions } from "@platformatic/kafka";
import { SettingsError } from "../errors.js";
import type { Settings } from "../settings.js";
import { javaPartitioner } from "./murmur2.js";
import { guardStaleMetadata } from "./stale-metadata.js";

export type RawConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type RawProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** What every client of this worker shares: brokers, client id, TLS and SASL. */
export interface ClientBase {
  clientId: string;
  bootstrapBrokers: string[];
  tls?: TlsOptions;
  sasl?: SASLOptions;
}

/** `client.id=legato-node-<workerId>`. */
export function clientId(settings: Settings): string {
  return `legato-node-${settings.workerId}`;
}

function pem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SettingsError(`${name}: cannot read "${path}": ${(error as Error).message}`);
  }
}

/**
 * The connection options of LEGATO_KAFKA_SECURITY_PROTOCOL and friends. PEM files are read here
 * (once, at construction); the SASL password is handed over through a function, so the options
 * object never holds it as plain text.
 */
export function clientBase(settings: Settings): ClientBase {
  const { security } = settings;
  const base: ClientBase = {
    clientId: clientId(settings),
    bootstrapBrokers: settings.bootstrapServers,
  };
  if (security.protocol === "SSL" || security.protocol === "SASL_SSL") {
    const tls: TlsOptions = {};
    if (security.sslCaFile !== null) tls.ca = pem("LEGATO_KAFKA_SSL_CA_FILE", security.sslCaFile);
    if (security.sslCertFile !== null && security.sslKeyFile !== null) {
      tls.cert = pem("LEGATO_KAFKA_SSL_CERT_FILE", security.sslCertFile);
      tls.key = pem("LEGATO_KAFKA_SSL_KEY_FILE", security.sslKeyFile);
    }
    base.tls = tls;
  }
  if (security.saslMechanism !== null && security.saslPassword !== null) {
    const password = security.saslPassword;
    base.sasl = {
      mechanism: security.saslMechanism,
      username: security.saslUsername ?? "",
      password: () => password.reveal(),
    };
  }
  return base;
}

export function createProducer(base: ClientBase): RawProducer {
  const producer = new Producer({
    ...base,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: javaPartitioner(),
    retries: 3,
    retryDelay: 250,
  });
  return guardStaleMetadata(producer);
}

/** The group timing of LEGATO_SESSION_TIMEOUT_MS and LEGATO_MAX_POLL_INTERVAL_MS. */
export function groupTiming(settings: Settings): {
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
} {
  const sessionTimeout = settings.sessionTimeoutMs;
  return {
    sessionTimeout,
    // max.poll.interval.ms is the rebalance timeout of the JoinGroup request; the client
    // requires it to be at least the session timeout.
    rebalanceTimeout: Math.max(settings.maxPollIntervalMs, sessionTimeout),
    heartbeatInterval: Math.max(1, Math.min(1_000, Math.floor(sessionTimeout / 3))),
  };
}

export function createConsumer(base: ClientBase, settings: Settings, groupId: string): RawConsumer {
  const consumer = new Consumer({
    ...base,
    groupId,
    autocommit: false,
    // Shared by every SDK so mixed-language fleets can form one group (docs/protocol.md).
    // Version 0: what @platformatic/kafka actually encodes (it writes no v1 owned_partitions field).
    protocols: [{ name: "roundrobin", version: 0 }],
    ...groupTiming(settings),
    // As in every SDK (docs/protocol.md "Worker behaviour"): a fetch returns as soon as one byte
    // is there, and waits at most 500 ms at the broker when there is nothing to fetch (librdkafka's
    // fetch.min.bytes=1, fetch.wait.max.ms=500). The client always sets TCP_NODELAY.
    minBytes: 1,
    maxWaitTime: 500,
    // A small buffer: messages fetched but not yet taken are dropped after a rebalance.
    highWaterMark: Math.max(16, settings.concurrency),
  });
  return guardStaleMetadata(consumer);
}

function alreadyExists(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const nested = error instanceof AggregateError ? error.errors : [];
  const own = (error as { apiId?: unknown }).apiId === "TOPIC_ALREADY_EXISTS";
  return own || (nested.length > 0 && nested.every(alreadyExists));
}

/** A topic to create if missing: its partitions and topic-level configs. */
export interface TopicSpec {
  topic: string;
  partitions: number;
  configs?: Record<string, string>;
}

/** The control topic (docs/protocol.md, item 11): one partition, 24 h retention. */
export function controlTopicSpec(topic: string): TopicSpec {
  return { topic, partitions: 1, configs: { "retention.ms": "86400000" } };
}

/**
 * Creates the topics that do not exist yet, with the broker's default replication factor. Lists
 * first, so no CREATE permission is needed when they all exist; a concurrent creator is fine.
 */
export async function ensureTopics(
  base: ClientBase,
  topics: readonly TopicSpec[],
): Promise<string[]> {
  const admin = guardStaleMetadata(new Admin(base));
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    for (const spec of missing) {
      try {
        await admin.createTopics({
          topics: [spec.topic],
          partitions: spec.partitions,
          replicas: -1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
      } catch (error) {
        if (!alreadyExists(error)) throw error;
      }
    }
    return missing.map((spec) => spec.topic);
  } finally {
    await admin.close();
  }
}

/** A consumer that joins no group: reads partitions it assigns itself (the control topic). */
export function createStandaloneConsumer(base: ClientBase, purpose: string): RawConsumer {
  const consumer = new Consumer({
    ...base,
    // Required by the client's options; never used: this consumer never joins a group.
    groupId: `legato-${purpose}-unused`,
    autocommit: false,
    maxWaitTime: 500,
    // The caller retries with its own backoff; the client's retries would also hold up close()
    // by their delays (a fetch cut short by close() is retried).
    retries: 0,
  });
  return guardStaleMetadata(consumer);
}

/** Kafka client construction and topic creation, in one place. */

import { Admin, Consumer, ProduceAcks, Producer } from "@platformatic/kafka";
import type { Settings } from "../settings.js";

export type RawConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;
export type RawProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** `client.id=legato-node-<workerId>`. */
export function clientId(settings: Settings): string {
  return `legato-node-${settings.workerId}`;
}

export function createProducer(settings: Settings): RawProducer {
  return new Producer({
    clientId: clientId(settings),
    bootstrapBrokers: settings.bootstrapServers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    retries: 5,
  });
}

export function createConsumer(settings: Settings, groupId: string): RawConsumer {
  return new Consumer({
    clientId: clientId(settings),
    bootstrapBrokers: settings.bootstrapServers,
    groupId,
    autocommit: false,
    // Shared by every SDK so mixed-language fleets can form one group (docs/protocol.md).
    // Version 0: what @platformatic/kafka actually encodes (it writes no v1 owned_partitions field).
    protocols: [{ name: "roundrobin", version: 0 }],
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTime: 500,
  });
}

function alreadyExists(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const nested = error instanceof AggregateError ? error.errors : [];
  const own = (error as { apiId?: unknown }).apiId === "TOPIC_ALREADY_EXISTS";
  return own || (nested.length > 0 && nested.every(alreadyExists));
}

/** Creates each topic that does not exist yet (idempotent; concurrent creators are fine). */
export async function ensureTopics(
  settings: Settings,
  topics: readonly string[],
  partitions: number,
): Promise<void> {
  const admin = new Admin({
    clientId: clientId(settings),
    bootstrapBrokers: settings.bootstrapServers,
  });
  try {
    for (const topic of topics) {
      try {
        await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      } catch (error) {
        if (!alreadyExists(error)) throw error;
      }
    }
  } finally {
    await admin.close();
  }
}

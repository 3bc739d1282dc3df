import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type CallbackWithPromise,
  type ClusterMetadata,
  Consumer,
  type MetadataOptions,
  kMetadata,
} from "@platformatic/kafka";
import { loadSettings } from "../../src/settings.js";
import {
  clientBase,
  createConsumer,
  createProducer,
  createStandaloneConsumer,
} from "../../src/worker/kafka.js";
import { guardStaleMetadata, unusableMetadata } from "../../src/worker/stale-metadata.js";

const TOPIC = "legato.jobs.echo";
const NOWHERE = ["127.0.0.1:1"];

/** What a cluster answers to Metadata: `brokers` by node id, TOPIC led by node 1. */
function answer(brokers: number[], topics = [TOPIC]): ClusterMetadata {
  const partition = { leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] };
  return {
    id: "cluster",
    controllerId: 1,
    lastUpdate: Date.now(),
    brokers: new Map(brokers.map((id) => [id, { host: "127.0.0.1", port: 1, rack: null }])),
    topics: new Map(
      topics.map((name) => [
        name,
        { id: name, partitions: [partition], partitionsCount: 1, lastUpdate: 0 },
      ]),
    ),
  };
}

/** A consumer whose Metadata requests get `metadata` back, from a later tick as off a socket. */
function consumerAnswering(metadata: ClusterMetadata): Consumer {
  const consumer = new Consumer({
    clientId: "stale-metadata-test",
    bootstrapBrokers: NOWHERE,
    groupId: "stale-metadata-test",
    retries: 0,
  });
  const reply = (_options: MetadataOptions, callback: CallbackWithPromise<ClusterMetadata>) => {
    setImmediate(() => callback(null, metadata));
  };
  Object.defineProperty(consumer, kMetadata, { value: reply, configurable: true, writable: true });
  return consumer;
}

function isStaleMetadataError(error: unknown): boolean {
  const found = (error as { findBy?: (key: string, value: unknown) => unknown }).findBy?.(
    "hasStaleMetadata",
    true,
  ) as { canRetry?: unknown } | null | undefined;
  return found?.canRetry === true;
}

async function closed(consumer: Consumer): Promise<void> {
  await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
}

describe("stale cluster metadata (issue 26)", () => {
  it("an answer that lists no broker (a fenced broker) fails with a retriable error", async () => {
    const consumer = guardStaleMetadata(consumerAnswering(answer([])));
    let cleared = 0;
    const clear = consumer.clearMetadata.bind(consumer);
    consumer.clearMetadata = () => {
      cleared++;
      clear();
    };
    try {
      await assert.rejects(
        consumer.listOffsets({ topics: [TOPIC], timestamp: -1n }),
        (error: Error) => isStaleMetadataError(error) && /lists no broker/.test(error.message),
      );
      assert.equal(cleared, 1, "the unusable answer is dropped from the client's cache");
    } finally {
      await closed(consumer);
    }
  });

  it("a leader missing from a partial answer fails the connection with a retriable error", async () => {
    const consumer = guardStaleMetadata(consumerAnswering(answer([2])));
    try {
      await assert.rejects(consumer.listOffsets({ topics: [TOPIC], timestamp: -1n }), (error) =>
        isStaleMetadataError(error),
      );
    } finally {
      await closed(consumer);
    }
  });

  it("canary: unguarded, @platformatic/kafka 1.x throws on a leader it does not know", async () => {
    // When this fails, the client copes by itself and the guard can go (upstream #319/#320).
    const consumer = consumerAnswering(answer([2]));
    const reply = (_options: MetadataOptions, callback: CallbackWithPromise<ClusterMetadata>) =>
      callback(null, answer([2]));
    Object.defineProperty(consumer, kMetadata, { value: reply, configurable: true });
    try {
      assert.throws(
        () => void consumer.listOffsets({ topics: [TOPIC], timestamp: -1n }),
        /reading 'host'/,
      );
    } finally {
      await closed(consumer);
    }
  });

  it("an answer lacking a topic asked for is unusable; a complete one passes unchanged", () => {
    assert.match(unusableMetadata({ topics: [TOPIC] }, answer([1], [])) ?? "", /lacks topic/);
    assert.match(unusableMetadata({ topics: [TOPIC] }, answer([])) ?? "", /no broker/);
    assert.equal(unusableMetadata({ topics: [TOPIC] }, answer([1])), undefined);
    assert.equal(unusableMetadata({}, answer([1], [])), undefined);
  });

  it("a usable answer reaches the caller as it came", async () => {
    const metadata = answer([1]);
    const consumer = guardStaleMetadata(consumerAnswering(metadata));
    try {
      assert.equal(await consumer.metadata({ topics: [TOPIC] }), metadata);
    } finally {
      await closed(consumer);
    }
  });

  it("every client the worker creates is guarded", async () => {
    const settings = loadSettings({ LEGATO_KAFKA_BOOTSTRAP_SERVERS: NOWHERE.join(",") });
    const base = clientBase(settings);
    const clients = [
      createProducer(base),
      createConsumer(base, settings, "group"),
      createStandaloneConsumer(base, "control"),
    ];
    try {
      for (const client of clients) {
        await assert.rejects(
          client.connections.get(undefined as never),
          (error) => isStaleMetadataError(error),
          client.constructor.name,
        );
      }
    } finally {
      for (const client of clients) await client.close().catch(() => undefined);
    }
  });
});

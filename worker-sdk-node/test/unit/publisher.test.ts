/**
 * Publisher behaviour against a scripted producer (unit level; the integration tests use Kafka).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProtocolError } from "@platformatic/kafka";
import { WorkerFatalError } from "../../src/errors.js";
import { createLogger } from "../../src/logging.js";
import type { RawProducer } from "../../src/worker/kafka.js";
import {
  type OutgoingMessage,
  Publisher,
  RecordTooLargeError,
} from "../../src/worker/publisher.js";

type Send = (messages: OutgoingMessage[]) => Promise<void>;

function scripted(send: Send): { create: () => RawProducer; created: () => number } {
  let count = 0;
  const create = (): RawProducer => {
    count++;
    return {
      send: ({ messages }: { messages: OutgoingMessage[] }) => send(messages),
      close: async () => undefined,
    } as unknown as RawProducer;
  };
  return { create, created: () => count };
}

const logger = createLogger("ERROR");
const record = (name: string, bytes = 10): OutgoingMessage => ({
  topic: "results",
  key: Buffer.from(name),
  value: Buffer.alloc(bytes, name),
});
const names = (messages: OutgoingMessage[]): string[] =>
  messages.map((m) => m.key?.toString() ?? "");

describe("Publisher", () => {
  it("re-sends a failed record with backoff while later records go through", async () => {
    const sent: string[][] = [];
    let failures = 2;
    const { create, created } = scripted(async (messages) => {
      sent.push(names(messages));
      if (messages.some((m) => m.key?.toString() === "a") && failures-- > 0) {
        throw new ProtocolError("NOT_ENOUGH_REPLICAS");
      }
    });
    const publisher = new Publisher(create, logger);
    const a = publisher.publish(record("a"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await publisher.publish(record("b")); // not held back by a's retries
    await a;
    assert.deepEqual(sent.at(-1), ["a"]);
    assert.equal(sent.filter((batch) => batch.includes("a")).length, 3);
    assert.equal(created(), 1, "a transient error keeps the producer (and its producer id)");
    await publisher.close(1000);
  });

  it("isolates a record Kafka refuses as too large; the others are delivered", async () => {
    const { create } = scripted(async (messages) => {
      if (messages.some((m) => m.key?.toString() === "huge")) {
        throw new ProtocolError("MESSAGE_TOO_LARGE");
      }
    });
    const publisher = new Publisher(create, logger, undefined, 20);
    const outcomes = await Promise.allSettled([
      publisher.publish(record("a")),
      publisher.publish(record("huge")),
      publisher.publish(record("b")),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof RecordTooLargeError);
    await publisher.close(1000);
  });

  it("stops on an authorization error: rejects with WorkerFatalError and calls onFatal once", async () => {
    const { create } = scripted(async () => {
      throw new ProtocolError("TOPIC_AUTHORIZATION_FAILED");
    });
    const fatal: WorkerFatalError[] = [];
    const publisher = new Publisher(create, logger, (e) => fatal.push(e));
    const outcome = await Promise.allSettled([publisher.publish(record("a"))]);
    assert.ok((outcome[0] as PromiseRejectedResult).reason instanceof WorkerFatalError);
    assert.equal(fatal.length, 1);
    await assert.rejects(publisher.publish(record("b")), WorkerFatalError);
    await publisher.close(100);
  });

  it("replaces the producer only when its sequence state is lost", async () => {
    let first = true;
    const { create, created } = scripted(async () => {
      if (first) {
        first = false;
        throw new ProtocolError("OUT_OF_ORDER_SEQUENCE_NUMBER");
      }
    });
    const publisher = new Publisher(create, logger);
    await publisher.publish(record("a"));
    assert.equal(created(), 2);
    await publisher.close(1000);
  });

  it("splits batches by size", async () => {
    const sizes: number[] = [];
    const { create } = scripted(async (messages) => {
      sizes.push(messages.length);
    });
    const publisher = new Publisher(create, logger, undefined, 20);
    await Promise.all([0, 1, 2].map((i) => publisher.publish(record(`r${i}`, 400_000))));
    assert.deepEqual(sizes, [2, 1]);
    await publisher.close(1000);
  });
});

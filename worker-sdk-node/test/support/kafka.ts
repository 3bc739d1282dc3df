/**
 * Real-Kafka helpers for integration tests: unique topic/group names per test, producing jobs,
 * and awaiting results, DLT records and committed offsets (polling with a deadline, no bare sleeps).
 */

import { randomUUID } from "node:crypto";
import { Socket } from "node:net";
import type { TestContext } from "node:test";
import { Admin, Consumer, Producer, ProduceAcks } from "@platformatic/kafka";
import {
  decodeResultsRecord,
  encodeCancel,
  encodeJob,
  isProgress,
} from "../../src/protocol/codec.js";
import type { Cancel, Job, Progress, Result } from "../../src/protocol/messages.js";

export const BOOTSTRAP = process.env.LEGATO_KAFKA_BOOTSTRAP_SERVERS ?? "localhost:9092";
const BROKERS = BOOTSTRAP.split(",").map((s) => s.trim());

function reachable(hostPort: string, timeoutMs = 2000): Promise<boolean> {
  const [host, port] = hostPort.split(":");
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port ?? 9092), host ?? "localhost", () => done(true));
  });
}

/** Skips the suite when Kafka is down on a laptop; fails it when CI is set. */
export async function requireKafka(t: { skip: (message: string) => void }): Promise<boolean> {
  if (await reachable(BROKERS[0] ?? "localhost:9092")) return true;
  const message = `Kafka is not reachable at ${BOOTSTRAP} (start it with deploy/stack.sh)`;
  if (process.env.CI) throw new Error(message);
  t.skip(message);
  return false;
}

export interface TestEnv extends Record<string, string> {
  LEGATO_KAFKA_BOOTSTRAP_SERVERS: string;
  LEGATO_JOBS_TOPIC: string;
  LEGATO_RESULTS_TOPIC: string;
  LEGATO_GROUP_PREFIX: string;
  LEGATO_CONTROL_TOPIC: string;
  LEGATO_WORKER_ID: string;
}

/** LEGATO_* settings that isolate one test: its own topics and groups. */
export function isolatedEnv(): TestEnv {
  const id = `it-node-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
  return {
    LEGATO_KAFKA_BOOTSTRAP_SERVERS: BOOTSTRAP,
    LEGATO_JOBS_TOPIC: `${id}.jobs`,
    LEGATO_RESULTS_TOPIC: `${id}.results`,
    LEGATO_GROUP_PREFIX: `${id}.workers`,
    LEGATO_CONTROL_TOPIC: `${id}.control`,
    LEGATO_JOB_PARTITIONS: "2",
    LEGATO_WORKER_ID: `${id}-worker`,
    LEGATO_LOG_LEVEL: process.env.IT_LOG_LEVEL ?? "WARNING",
  };
}

export function makeJob(action: string, payload: unknown, jobsTopic: string): Job {
  return {
    jobId: randomUUID(),
    runId: randomUUID(),
    stepId: "0",
    attempt: 1,
    action,
    payload: JSON.stringify(payload),
    workflowId: "it",
    workflowVersion: 1,
    queue: `${jobsTopic}.${action}`,
    traceparent: null,
    correlationId: "corr-it",
    createdAt: Date.now(),
    deadlineAt: null,
  };
}

export async function ensureTopic(topic: string, partitions = 2): Promise<void> {
  const admin = new Admin({ clientId: "legato-it", bootstrapBrokers: BROKERS });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } catch (error) {
    if (!String((error as AggregateError).errors?.[0]?.message ?? error).match(/already exists/i)) {
      throw error;
    }
  } finally {
    await admin.close();
  }
}

export interface RawRecord {
  topic: string;
  key?: Buffer;
  value?: Buffer;
  headers?: Map<Buffer, Buffer>;
}

export async function produce(records: RawRecord[]): Promise<void> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: "legato-it-producer",
    bootstrapBrokers: BROKERS,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
  });
  try {
    await producer.send({ messages: records });
  } finally {
    await producer.close();
  }
}

export async function produceJobs(jobsTopic: string, jobs: Job[]): Promise<void> {
  await produce(
    jobs.map((job) => ({
      topic: `${jobsTopic}.${job.action}`,
      key: Buffer.from(job.runId),
      value: encodeJob(job),
    })),
  );
}

export interface ConsumedRecord {
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Record<string, string>;
  partition: number;
  offset: bigint;
}

/** Reads `topic` from the beginning until `count` records arrived (or fails after `timeoutMs`). */
export async function readRecords(
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  await readUntil(
    topic,
    (record) => {
      records.push(record);
      return records.length >= count;
    },
    timeoutMs,
    () => `expected ${count} records on ${topic}, got ${records.length}`,
  );
  return records;
}

/** Reads `topic` from the beginning until `accept` returns true (or fails after `timeoutMs`). */
async function readUntil(
  topic: string,
  accept: (record: ConsumedRecord) => boolean,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  await ensureTopic(topic);
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: "legato-it-reader",
    groupId: `legato-it-reader-${randomUUID()}`,
    bootstrapBrokers: BROKERS,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({
    topics: [topic],
    mode: "earliest",
    autocommit: false,
  });
  try {
    await withTimeout(
      (async () => {
        for await (const message of stream) {
          const record = {
            key: message.key,
            value: message.value,
            headers: Object.fromEntries(
              [...message.headers].map(([k, v]) => [k.toString(), v.toString()]),
            ),
            partition: message.partition,
            offset: message.offset,
          };
          if (accept(record)) return;
        }
      })(),
      timeoutMs,
      describe,
    );
  } finally {
    await stream.close();
    await consumer.close(true);
  }
}

/** The first `count` Results of the results topic (Progress records are passed over). */
export async function readResults(
  resultsTopic: string,
  count: number,
  timeoutMs?: number,
): Promise<Result[]> {
  const { results } = await readResultsAndProgress(resultsTopic, count, timeoutMs);
  return results;
}

/**
 * Reads the results topic until `count` Results (and at least `progressCount` Progress records)
 * arrived; gives both, in read order.
 */
export async function readResultsAndProgress(
  resultsTopic: string,
  count: number,
  timeoutMs = 30_000,
  progressCount = 0,
): Promise<{ results: Result[]; progress: Progress[] }> {
  const results: Result[] = [];
  const progress: Progress[] = [];
  await readUntil(
    resultsTopic,
    (record) => {
      const decoded = decodeResultsRecord(record.value);
      if (isProgress(decoded)) progress.push(decoded);
      else results.push(decoded);
      return results.length >= count && progress.length >= progressCount;
    },
    timeoutMs,
    () =>
      `expected ${count} results and ${progressCount} progress records on ${resultsTopic}, got ${results.length} and ${progress.length}`,
  );
  return { results, progress };
}

/** Produces a Cancel (keyed by jobId) to the control topic, created if missing. */
export async function produceCancel(
  controlTopic: string,
  job: Job,
  reason = "RunCancelled",
): Promise<Cancel> {
  const cancel: Cancel = {
    jobId: job.jobId,
    runId: job.runId,
    stepId: job.stepId,
    attempt: job.attempt,
    action: job.action,
    reason,
    message: `test: ${reason}`,
    at: Date.now(),
  };
  await ensureTopic(controlTopic, 1);
  await produce([
    { topic: controlTopic, key: Buffer.from(job.jobId), value: encodeCancel(cancel) },
  ]);
  return cancel;
}

/** Committed offsets of `group` as `partition -> offset`. */
export async function committedOffsets(group: string, topic: string): Promise<Map<number, bigint>> {
  const admin = new Admin({ clientId: "legato-it", bootstrapBrokers: BROKERS });
  try {
    const [listed] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const offsets = new Map<number, bigint>();
    for (const t of listed?.topics ?? []) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) {
        if (p.committedOffset >= 0n) offsets.set(p.partitionIndex, p.committedOffset);
      }
    }
    return offsets;
  } finally {
    await admin.close();
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  describe: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${describe}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function withTimeout<T>(
  work: Promise<T>,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${describe()}`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export type { TestContext };

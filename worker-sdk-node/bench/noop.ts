/**
 * No-op throughput benchmark: produces N jobs (default 20000, BENCH_JOBS) to a fresh topic, runs
 * a Worker whose handler returns at once, and reads results until all N arrived, printing jobs/s.
 * Bounded by BENCH_TIMEOUT_MS (default 120000). Needs Kafka (LEGATO_KAFKA_BOOTSTRAP_SERVERS).
 */

import { randomUUID } from "node:crypto";
import { Admin, Consumer, ProduceAcks, Producer } from "@platformatic/kafka";
import { Worker, protocol } from "legato-worker";

const TOTAL = Number(process.env.BENCH_JOBS ?? 20_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);
const BATCH = 1_000;
const bootstrap = process.env.LEGATO_KAFKA_BOOTSTRAP_SERVERS ?? "localhost:9092";
const brokers = bootstrap.split(",");
const id = `bench-node-${Date.now().toString(36)}`;
const env = {
  ...process.env,
  LEGATO_KAFKA_BOOTSTRAP_SERVERS: bootstrap,
  LEGATO_JOBS_TOPIC: `${id}.jobs`,
  LEGATO_RESULTS_TOPIC: `${id}.results`,
  LEGATO_GROUP_PREFIX: `${id}.workers`,
  LEGATO_LOG_LEVEL: process.env.LEGATO_LOG_LEVEL ?? "WARNING",
};
const topic = `${env.LEGATO_JOBS_TOPIC}.noop`;

function job(i: number): protocol.Job {
  return {
    jobId: randomUUID(),
    runId: randomUUID(),
    stepId: "0",
    attempt: 1,
    action: "noop",
    payload: String(i),
    workflowId: "bench",
    workflowVersion: 1,
    queue: topic,
    createdAt: Date.now(),
  };
}

async function produceJobs(): Promise<number> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `${id}-producer`,
    bootstrapBrokers: brokers,
    acks: ProduceAcks.LEADER,
  });
  const start = performance.now();
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    const messages = [];
    for (let i = sent; i < Math.min(sent + BATCH, TOTAL); i++) {
      const j = job(i);
      messages.push({ topic, key: Buffer.from(j.runId), value: protocol.encodeJob(j) });
    }
    await producer.send({ messages });
  }
  await producer.close();
  return (performance.now() - start) / 1000;
}

async function countResults(start: number): Promise<{ count: number; firstAt: number }> {
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: `${id}-reader`,
    groupId: `${id}-reader`,
    bootstrapBrokers: brokers,
    autocommit: false,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({
    topics: [env.LEGATO_RESULTS_TOPIC],
    mode: "earliest",
    autocommit: false,
  });
  let count = 0;
  let firstAt = start;
  let lastPrint = start;
  const deadline = setTimeout(() => void stream.close(), TIMEOUT_MS);
  try {
    for await (const message of stream) {
      protocol.decodeResult(message.value);
      count++;
      const now = performance.now();
      if (count === 1) firstAt = now;
      if (now - lastPrint >= 1000 || count === TOTAL) {
        const rate = count / ((now - start) / 1000);
        console.log(`  ${count}/${TOTAL} results, ${rate.toFixed(0)} jobs/s`);
        lastPrint = now;
      }
      if (count >= TOTAL) break;
    }
  } finally {
    clearTimeout(deadline);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
  }
  return { count, firstAt };
}

console.log(`legato-worker no-op benchmark: ${TOTAL} jobs`);
const admin = new Admin({ clientId: `${id}-admin`, bootstrapBrokers: brokers });
for (const t of [topic, env.LEGATO_RESULTS_TOPIC]) {
  await admin.createTopics({ topics: [t], partitions: 6, replicas: 1 });
}
await admin.close();
const produceSeconds = await produceJobs();
console.log(`produced ${TOTAL} jobs in ${produceSeconds.toFixed(2)} s; starting the worker`);

// Jobs are all waiting: the clock runs from start() (group join included) to the last result.
const worker = new Worker({ env, handleSignals: false });
worker.register("noop", () => null);
const start = performance.now();
const running = worker.start();
const { count, firstAt } = await countResults(start);
const seconds = (performance.now() - start) / 1000;
const steady = (performance.now() - firstAt) / 1000;
await worker.stop();
await running;
console.log(
  `${count === TOTAL ? "done" : "TIMED OUT"}: ${count} results in ${seconds.toFixed(2)} s ` +
    `= ${(count / seconds).toFixed(0)} jobs/s from start(); ` +
    `${((count - 1) / steady).toFixed(0)} jobs/s after the first result ` +
    `(concurrency ${worker.settings.concurrency}, no-op handler)`,
);
process.exitCode = count === TOTAL ? 0 : 1;

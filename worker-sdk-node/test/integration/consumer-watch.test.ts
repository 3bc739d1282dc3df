/**
 * The consumer watch against a real Kafka: a session tells the partitions it holds, where it
 * stands in each and their latest offsets; a worker whose slots are busy reports the records
 * waiting behind them as legato_worker_records_behind, and 0 once they ran.
 */

import assert from "node:assert/strict";
import { request } from "node:http";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { createLogger } from "../../src/logging.js";
import { loadSettings } from "../../src/settings.js";
import { GroupSession, type Holding } from "../../src/worker/group-session.js";
import { clientBase } from "../../src/worker/kafka.js";
import {
  ensureTopic,
  eventually,
  isolatedEnv,
  makeJob,
  produceJobs,
  readResults,
  requireKafka,
} from "../support/kafka.js";
import { latch, startWorker } from "../support/worker.js";

function behindOf(holding: Holding, ends: Map<number, bigint>): bigint {
  let behind = 0n;
  for (const [partition, next] of holding.next) {
    const end = ends.get(partition);
    if (next !== undefined && end !== undefined && end > next) behind += end - next;
  }
  return behind;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/metrics", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("consumer watch", () => {
  it("a session knows what it holds, where it stands and the latest offsets", async (t) => {
    if (!(await requireKafka(t))) return;
    const env = isolatedEnv();
    const settings = loadSettings(env);
    const topic = `${env.LEGATO_JOBS_TOPIC}.watched`;
    await ensureTopic(topic, 2);
    const jobs = Array.from({ length: 6 }, (_, i) => makeJob("watched", i, env.LEGATO_JOBS_TOPIC));
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);

    const session = new GroupSession(
      clientBase(settings),
      settings,
      topic,
      `${env.LEGATO_GROUP_PREFIX}.watched`,
      createLogger("ERROR"),
    );
    t.after(() => session.close(false));
    await session.open();
    const holding = await eventually(async () => {
      const now = session.holding();
      return now !== undefined && [...now.next.values()].every((n) => n !== undefined)
        ? now
        : undefined;
    }, "the session to hold its partitions with known positions");
    assert.deepEqual([...holding.next.keys()].sort(), [0, 1]);
    assert.equal(holding.received, 0);
    const ends = await session.endOffsets([0, 1]);
    assert.equal(
      [...ends.values()].reduce((sum, end) => sum + end, 0n),
      6n,
    );
    assert.equal(behindOf(holding, ends), 6n);

    const signal = AbortSignal.timeout(20_000);
    const first = await session.next(signal);
    const second = await session.next(signal);
    assert.ok(first !== undefined && second !== undefined);
    const after = session.holding();
    assert.ok(after !== undefined);
    assert.equal(after.received, 2);
    assert.equal(after.epoch, holding.epoch);
    assert.equal(after.next.get(second.message.partition), second.message.offset + 1n);
    assert.equal(behindOf(after, ends), 4n);
  });

  it("reports the records waiting behind busy slots, and 0 once they ran", async (t) => {
    if (!(await requireKafka(t))) return;
    const port = await freePort();
    const env = {
      ...isolatedEnv(),
      LEGATO_WORKER_CONCURRENCY: "1",
      LEGATO_METRICS_PORT: String(port),
      LEGATO_STALL_TIMEOUT_MS: "3000", // checks every second
    };
    const release = latch();
    startWorker(t, env, (w) =>
      w.register("slow", async (payload) => {
        await release.promise;
        return payload;
      }),
    );
    const series = 'legato_worker_records_behind{action="slow"}';
    await eventually(
      async () => (sample(await scrape(port).catch(() => ""), series) === 0 ? true : undefined),
      `${series} to be served`,
    );
    const jobs = Array.from({ length: 6 }, (_, i) => makeJob("slow", i, env.LEGATO_JOBS_TOPIC));
    await produceJobs(env.LEGATO_JOBS_TOPIC, jobs);

    // One job runs, one waits for the slot: the other four wait in Kafka or the fetch buffer.
    const behind = await eventually(async () => {
      const value = sample(await scrape(port), series);
      return value !== undefined && value > 0 ? value : undefined;
    }, `${series} > 0 while the slot is busy`);
    assert.ok(behind <= 5, `records behind ${behind}`);
    assert.equal(sample(await scrape(port), 'legato_worker_stalled{action="slow"}'), 0);

    release.resolve();
    assert.equal((await readResults(env.LEGATO_RESULTS_TOPIC, jobs.length)).length, jobs.length);
    await eventually(
      async () => (sample(await scrape(port), series) === 0 ? true : undefined),
      `${series} back to 0`,
    );
    const text = await scrape(port);
    assert.equal(sample(text, 'legato_worker_stalls_total{action="slow"}'), 0);
  });
});

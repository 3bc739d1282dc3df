import assert from "node:assert/strict";
import { request } from "node:http";
import { describe, it } from "node:test";
import { register as globalRegistry } from "prom-client";
import { createLogger } from "../../src/logging.js";
import {
  HANDLER_DURATION_BUCKETS,
  MetricsServer,
  createMetricsRegistry,
} from "../../src/observability/metrics.js";

const logger = createLogger("ERROR");

/** name{labels} -> value, from the Prometheus text format. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"] ?? "", body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("worker metrics", () => {
  it("has every series before any job: slots, nothing busy, 0 in flight per action", async () => {
    const registry = await createMetricsRegistry(["a", "b"], { slots: 4, busy: 0 });
    const values = samples(await registry.render());
    assert.equal(values.get("legato_worker_slots"), 4);
    assert.equal(values.get("legato_worker_slots_busy"), 0);
    assert.equal(values.get('legato_worker_jobs_in_flight{action="a"}'), 0);
    assert.equal(values.get('legato_worker_jobs_in_flight{action="b"}'), 0);
  });

  it("has the consumer watch series of every action from the start, at 0", async () => {
    const registry = await createMetricsRegistry(["a", "b"], { slots: 4, busy: 0 });
    const text = await registry.render();
    const values = samples(text);
    for (const action of ["a", "b"]) {
      assert.equal(values.get(`legato_worker_records_behind{action="${action}"}`), 0);
      assert.equal(values.get(`legato_worker_stalled{action="${action}"}`), 0);
      assert.equal(values.get(`legato_worker_stalls_total{action="${action}"}`), 0);
    }
    assert.match(text, /# TYPE legato_worker_records_behind gauge/);
    assert.match(text, /# TYPE legato_worker_stalled gauge/);
    assert.match(text, /# TYPE legato_worker_stalls_total counter/);
  });

  it("keeps records behind, the stalled flag and the stalls counted per action", async () => {
    const registry = await createMetricsRegistry(["slow", "echo"], { slots: 2, busy: 0 });
    registry.recordsBehind("slow", 12);
    registry.stalled("slow", true);
    let values = samples(await registry.render());
    assert.equal(values.get('legato_worker_records_behind{action="slow"}'), 12);
    assert.equal(values.get('legato_worker_stalled{action="slow"}'), 1);
    assert.equal(values.get('legato_worker_stalls_total{action="slow"}'), 1);
    assert.equal(values.get('legato_worker_stalled{action="echo"}'), 0);

    registry.stalled("slow", false);
    registry.recordsBehind("slow", 0);
    registry.stalled("slow", true);
    registry.stalled("slow", false);
    values = samples(await registry.render());
    assert.equal(values.get('legato_worker_records_behind{action="slow"}'), 0);
    assert.equal(values.get('legato_worker_stalled{action="slow"}'), 0);
    assert.equal(values.get('legato_worker_stalls_total{action="slow"}'), 2);
  });

  it("counts jobs by action and outcome, times handlers with the shared buckets", async () => {
    const slots = { slots: 2, busy: 0 };
    const registry = await createMetricsRegistry(["echo"], slots);
    registry.handlerStarted("echo");
    slots.busy = 1;
    let values = samples(await registry.render());
    assert.equal(values.get('legato_worker_jobs_in_flight{action="echo"}'), 1);
    assert.equal(values.get("legato_worker_slots_busy"), 1);

    registry.handlerEnded("echo", 0.02);
    registry.jobDone("echo", "completed");
    registry.handlerStarted("echo");
    registry.handlerEnded("echo", 7);
    registry.jobDone("echo", "failed");
    registry.jobDone("echo", "skipped");
    slots.busy = 0;
    values = samples(await registry.render());
    assert.equal(values.get('legato_worker_jobs_in_flight{action="echo"}'), 0);
    assert.equal(values.get('legato_worker_jobs_total{action="echo",outcome="completed"}'), 1);
    assert.equal(values.get('legato_worker_jobs_total{action="echo",outcome="failed"}'), 1);
    assert.equal(values.get('legato_worker_jobs_total{action="echo",outcome="skipped"}'), 1);
    assert.equal(values.get('legato_worker_handler_duration_seconds_count{action="echo"}'), 2);
    assert.equal(values.get('legato_worker_handler_duration_seconds_sum{action="echo"}'), 7.02);

    const buckets = [...values]
      .filter(([name]) => name.startsWith("legato_worker_handler_duration_seconds_bucket"))
      .map(([name, count]) => [/le="([^"]+)"/.exec(name)?.[1], count]);
    assert.deepEqual(
      buckets.map(([le]) => le),
      [...HANDLER_DURATION_BUCKETS.map(String), "+Inf"],
    );
    const count = (le: string): unknown => buckets.find(([bound]) => bound === le)?.[1];
    assert.deepEqual([count("0.01"), count("0.025"), count("5"), count("10")], [0, 1, 1, 2]);
    assert.deepEqual(
      [...HANDLER_DURATION_BUCKETS],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    );
  });

  it("keeps its series out of prom-client's global registry", async () => {
    const registry = await createMetricsRegistry(["echo"], { slots: 1, busy: 0 });
    registry.jobDone("echo", "completed");
    assert.doesNotMatch(await globalRegistry.metrics(), /legato_worker_/);
  });

  it("serves GET /metrics in the text format, 404 elsewhere", async () => {
    const registry = await createMetricsRegistry(["echo"], { slots: 3, busy: 0 });
    const server = await MetricsServer.start(registry, "127.0.0.1", 0, logger);
    try {
      const scraped = await get(server.port, "/metrics");
      assert.equal(scraped.status, 200);
      assert.match(scraped.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(samples(scraped.body).get("legato_worker_slots"), 3);
      assert.match(scraped.body, /# TYPE legato_worker_handler_duration_seconds histogram/);
      assert.equal((await get(server.port, "/")).status, 404);
    } finally {
      await server.close();
    }
    await assert.rejects(get(server.port, "/metrics"), /ECONNREFUSED/);
  });

  it("fails to start on a port already taken", async () => {
    const registry = await createMetricsRegistry(["echo"], { slots: 1, busy: 0 });
    const first = await MetricsServer.start(registry, "127.0.0.1", 0, logger);
    try {
      await assert.rejects(
        MetricsServer.start(registry, "127.0.0.1", first.port, logger),
        /EADDRINUSE/,
      );
    } finally {
      await first.close();
    }
  });
});

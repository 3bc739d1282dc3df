/**
 * The Client against the real API (LEGATO_API_URL, default http://127.0.0.1:8080, with its
 * PostgreSQL, Redis and Kafka). Only wait and signal steps: no worker is needed.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import {
  Client,
  InvalidRequest,
  NotFound,
  RunCancelled,
  type RunEvent,
  Workflow,
} from "../../src/index.js";

// The API a developer started with `make up`: this test runs only when LEGATO_API_URL names it. In
// CI the shared client conformance suite (tests/clients) runs this client against an orchestrator
// of its own, with the same operations.
const API = process.env.LEGATO_API_URL;

async function requireApi(t: { skip: (message: string) => void }): Promise<boolean> {
  if (API === undefined) {
    t.skip("set LEGATO_API_URL to run against `make up` (tests/clients covers this client in CI)");
    return false;
  }
  const ready = await fetch(`${API}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (!ready) throw new Error(`the Legato API is not ready at ${API} (start it with make up)`);
  return true;
}

const client = new Client({ apiUrl: API });

/** A workflow that waits briefly, then for the signal `approve`, whose payload is its output. */
function approval(): Workflow {
  return new Workflow(`ts-client-${randomUUID().slice(0, 8)}`)
    .wait("cool-off", { seconds: 0.2 })
    .signal("approval", { name: "approve", dependsOn: ["cool-off"] })
    .wait("done", {
      seconds: 0.1,
      dependsOn: ["approval"],
      when: "steps.approval.output.ok",
    });
}

describe("Client against the API", () => {
  it("defines with the builder, triggers idempotently, gets and lists the run", async (t) => {
    if (!(await requireApi(t))) return;
    const workflow = approval();
    const defined = await client.define(workflow);
    assert.equal(defined.id, workflow.id);
    assert.equal(defined.version, 1);
    assert.equal((await client.define(workflow)).version, 1, "the same body: no new version");

    const key = randomUUID();
    const run = await client.trigger(workflow.id, { n: 1 }, { idempotencyKey: key });
    const again = await client.trigger(workflow.id, { n: 1 }, { idempotencyKey: key });
    assert.equal(again.runId, run.runId);

    const got = await run.get();
    assert.equal(got.workflowId, workflow.id);
    assert.deepEqual(got.input, { n: 1 });
    assert.ok(["PENDING", "RUNNING"].includes(got.status), got.status);
    assert.deepEqual(
      got.steps.map((s) => s.id),
      ["cool-off", "approval", "done"],
    );

    const second = await client.trigger(workflow.id, { n: 2 });
    const listed: string[] = [];
    for await (const summary of client.listRuns({ workflowId: workflow.id, pageSize: 1 })) {
      listed.push(summary.runId);
    }
    assert.deepEqual(listed, [second.runId, run.runId], "newest first, across pages");
    await Promise.all([client.cancel(run.runId), client.cancel(second.runId)]);
  });

  it("awaits a run through the event stream while a signal completes it", async (t) => {
    if (!(await requireApi(t))) return;
    const workflow = approval();
    await client.define(workflow);
    const run = await client.trigger(workflow.id, null);
    const result = run.result({ timeoutSeconds: 30 });
    const sent = await client.signal(run.runId, "approve", { ok: true }, { signalId: "mail-1" });
    assert.equal(sent.duplicate, false);
    assert.deepEqual(await result, { ok: true });
    const repeated = await client.signal(
      run.runId,
      "approve",
      { ok: false },
      { signalId: "mail-1" },
    );
    assert.equal(repeated.duplicate, true);

    const events: RunEvent[] = [];
    for await (const event of run.events()) events.push(event);
    const types = events.map((e) => e.type);
    assert.equal(types[0], "RUN_CREATED");
    assert.ok(types.includes("SIGNAL_CONSUMED"), types.join());
    assert.equal(types.at(-1), "RUN_COMPLETED");
    const resumed: RunEvent[] = [];
    for await (const event of run.events({ after: events[1]?.id ?? 0 })) resumed.push(event);
    assert.deepEqual(resumed, events.slice(2), "only the events after the given id");
  });

  it("rejects result() with RunCancelled when the run is cancelled while awaited", async (t) => {
    if (!(await requireApi(t))) return;
    const workflow = approval();
    await client.define(workflow);
    const run = await client.trigger(workflow.id, null);
    const result = run.result();
    const change = await client.cancel(run.runId);
    assert.equal(change.status, "CANCELLED");
    assert.equal(change.changed, true);
    await assert.rejects(result, RunCancelled);
  });

  it("pauses and resumes a run", async (t) => {
    if (!(await requireApi(t))) return;
    const workflow = approval();
    await client.define(workflow);
    const run = await client.trigger(workflow.id, null);
    // a run is RUNNING once its first step started: await that event, not a time
    for await (const event of run.events()) if (event.type === "TIMER_CREATED") break;
    assert.equal((await client.pause(run.runId)).status, "PAUSED");
    assert.equal((await client.resume(run.runId)).status, "RUNNING");
    await client.cancel(run.runId);
  });

  it("raises NotFound for an unknown run and InvalidRequest for a bad definition", async (t) => {
    if (!(await requireApi(t))) return;
    const unknown = randomUUID();
    await assert.rejects(client.get(unknown), NotFound);
    await assert.rejects(client.result(unknown, { timeoutSeconds: 5 }), NotFound);
    await assert.rejects(
      client.define({ id: "ts-bad", steps: [{ id: "a", action: "x", dependsOn: ["nope"] }] }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.match(error.message, /^body\.steps\[0\]\.dependsOn/);
        return true;
      },
    );
  });
});

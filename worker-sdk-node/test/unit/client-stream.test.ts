import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { AwaitTimeout, Client, NotFound, RunCancelled, RunFailed } from "../../src/index.js";
import { ApiServer, end, event, json, sse } from "../support/api-server.js";

const RUN = "0192f0c4-5b1e-7c3a-8f00-000000000001";
const STREAM = `/workflow/run/${RUN}/events/stream`;

let server: ApiServer;
let url: string;
let delays: number[];

function client(): Client {
  return new Client({
    apiUrl: url,
    env: {},
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  });
}

function run(status: string, fields: Record<string, unknown> = {}) {
  return json(200, { runId: RUN, workflowId: "w", version: 1, status, steps: [], ...fields });
}

beforeEach(async () => {
  server = new ApiServer();
  url = await server.start();
  delays = [];
});

afterEach(() => server.stop());

describe("Client event stream", () => {
  it("reconnects a dropped stream with Last-Event-ID, then reads the run's output", async () => {
    server.then(
      sse([event(1, "RUN_STARTED"), event(2, "STEP_SCHEDULED")]), // drops without `end`
      sse([event(3, "STEP_COMPLETED"), event(4, "RUN_COMPLETED"), end(RUN, "COMPLETED")]),
      run("COMPLETED", { output: { total: 42 } }),
    );
    assert.deepEqual(await client().run(RUN).result({ timeoutSeconds: 10 }), { total: 42 });
    const [first, second, last] = server.requests;
    assert.equal(first?.url, STREAM);
    assert.equal(first?.headers["accept"], "text/event-stream");
    assert.equal(first?.headers["last-event-id"], undefined);
    assert.equal(second?.url, STREAM);
    assert.equal(second?.headers["last-event-id"], "2");
    assert.equal(last?.url, `/workflow/run/${RUN}`);
    assert.deepEqual(delays, [500]);
  });

  it("backs off 0.5 s doubling to 5 s while the stream keeps dropping, reset by a message", async () => {
    server.then(...Array.from({ length: 6 }, () => sse([])), sse([event(1, "RUN_STARTED")]));
    server.then(sse([]), sse([end(RUN, "COMPLETED")]), run("COMPLETED", { output: 1 }));
    assert.equal(await client().result(RUN), 1);
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 5000, 5000, 500, 1000]);
  });

  it("iterates events after `after`, ending at `end`", async () => {
    server.then(
      sse([event(5, "STEP_COMPLETED"), event(6, "RUN_COMPLETED"), end(RUN, "COMPLETED")]),
    );
    const types: string[] = [];
    for await (const e of client().events(RUN, { after: 4 })) types.push(e.type);
    assert.deepEqual(types, ["STEP_COMPLETED", "RUN_COMPLETED"]);
    assert.equal(server.requests[0]?.headers["last-event-id"], "4");
  });

  it("rejects with RunFailed carrying the run's error", async () => {
    const error = { stepId: "charge", type: "CardDeclined", message: "insufficient funds" };
    server.then(sse([end(RUN, "FAILED")]), run("FAILED", { error }));
    await assert.rejects(client().result(RUN), (e: unknown) => {
      assert.ok(e instanceof RunFailed);
      assert.deepEqual(e.error, error);
      assert.equal(e.run.status, "FAILED");
      assert.match(e.message, /CardDeclined: insufficient funds \(step charge\)/);
      return true;
    });
  });

  it("rejects with RunCancelled", async () => {
    server.then(sse([end(RUN, "CANCELLED")]), run("CANCELLED"));
    await assert.rejects(client().result(RUN), RunCancelled);
  });

  it("rejects with AwaitTimeout when the run has not ended in time", async () => {
    server.then(sse([event(1, "RUN_STARTED")], { hold: true }));
    await assert.rejects(client().result(RUN, { timeoutSeconds: 0.2 }), (e: unknown) => {
      assert.ok(e instanceof AwaitTimeout);
      assert.equal(e.runId, RUN);
      return true;
    });
    assert.equal(server.requests.length, 1, "never polled");
  });

  it("raises NotFound for an unknown run before any stream", async () => {
    server.then(json(404, { detail: `run ${RUN} not found` }));
    await assert.rejects(client().result(RUN), NotFound);
  });
});

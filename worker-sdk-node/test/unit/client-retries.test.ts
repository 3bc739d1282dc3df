import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  Client,
  Conflict,
  ConnectionFailed,
  InvalidRequest,
  NotFound,
  RateLimited,
  ServerError,
  Unauthorized,
} from "../../src/index.js";
import { ApiServer, hangUp, json } from "../support/api-server.js";

const RUN = "0192f0c4-5b1e-7c3a-8f00-000000000001";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let server: ApiServer;
let url: string;
let delays: number[];

/** A client of the scripted server whose waits are recorded, not slept. */
function client(options: { apiKey?: string; maxRetries?: number } = {}): Client {
  return new Client({
    apiUrl: url,
    env: {},
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
}

beforeEach(async () => {
  server = new ApiServer();
  url = await server.start();
  delays = [];
});

afterEach(() => server.stop());

describe("Client retries", () => {
  it("waits out a 429's Retry-After, then succeeds", async () => {
    server.then(
      json(429, { detail: "backlog full" }, { "Retry-After": "1" }),
      json(200, { runId: RUN }),
    );
    const run = await client().trigger("orders", { n: 1 });
    assert.equal(run.runId, RUN);
    assert.deepEqual(delays, [1000]);
    assert.equal(server.requests.length, 2);
  });

  it("reads an HTTP-date Retry-After", async () => {
    const soon = new Date(Date.now() + 60_000).toUTCString();
    server.then(
      json(503, { detail: "db down" }, { "Retry-After": soon }),
      json(200, { runId: RUN }),
    );
    await client().trigger("orders");
    assert.equal(delays.length, 1);
    assert.ok((delays[0] ?? 0) > 55_000 && (delays[0] ?? 0) <= 60_000, String(delays[0]));
  });

  it("repeats a keyed trigger's 409 (still in flight) with the same key", async () => {
    server.then(
      json(409, { detail: "in flight" }, { "Retry-After": "0" }),
      json(200, { runId: RUN }),
    );
    await client().trigger("orders", null, { idempotencyKey: "k1" });
    assert.deepEqual(
      server.requests.map((r) => r.headers["idempotency-key"]),
      ["k1", "k1"],
    );
  });

  it("generates one Idempotency-Key per trigger call and keeps it across retries", async () => {
    server.then(
      json(409, { detail: "in flight" }),
      json(200, { runId: RUN }),
      json(200, { runId: RUN }),
    );
    const c = client();
    await c.trigger("orders");
    await c.trigger("orders");
    const keys = server.requests.map((r) => r.headers["idempotency-key"]);
    assert.match(String(keys[0]), UUID);
    assert.equal(keys[1], keys[0]);
    assert.notEqual(keys[2], keys[0]);
    assert.deepEqual(delays, [200]);
  });

  it("raises ServerError after a 503 six times (five retries, backoff 0.2 s doubling)", async () => {
    for (let i = 0; i < 6; i += 1)
      server.then(json(503, { detail: "database unavailable, try again" }));
    await assert.rejects(client().get(RUN), (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.status, 503);
      assert.equal(error.message, "database unavailable, try again");
      return true;
    });
    assert.equal(server.requests.length, 6);
    assert.deepEqual(delays, [200, 400, 800, 1600, 3200]);
  });

  it("caps the backoff at 5 s", async () => {
    for (let i = 0; i < 8; i += 1) server.then(json(503, {}));
    await assert.rejects(client({ maxRetries: 7 }).get(RUN), ServerError);
    assert.deepEqual(delays, [200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("raises RateLimited with retryAfter once the retries are used up", async () => {
    for (let i = 0; i < 2; i += 1)
      server.then(json(429, { detail: "slow down" }, { "Retry-After": "2" }));
    await assert.rejects(client({ maxRetries: 1 }).trigger("orders"), (error: unknown) => {
      assert.ok(error instanceof RateLimited);
      assert.equal(error.retryAfter, 2);
      return true;
    });
  });

  it("raises NotFound for a 404 at once", async () => {
    server.then(json(404, { detail: `run ${RUN} not found` }));
    await assert.rejects(client().get(RUN), (error: unknown) => {
      assert.ok(error instanceof NotFound);
      assert.equal(error.message, `run ${RUN} not found`);
      assert.deepEqual(error.body, { detail: `run ${RUN} not found` });
      return true;
    });
    assert.equal(server.requests.length, 1);
  });

  it("raises InvalidRequest with the API's message for a 422", async () => {
    const message = "body.steps[1].dependsOn: unknown step 'nope'";
    server.then(
      json(422, {
        detail: [{ loc: ["body", "steps", 1, "dependsOn"], msg: "unknown step 'nope'" }],
        message,
      }),
    );
    server.then(
      json(422, {
        detail: [{ loc: ["query", "limit"], msg: "Input should be greater than or equal to 1" }],
      }),
    );
    await assert.rejects(client().define({ id: "w", steps: [] }), (error: unknown) => {
      assert.ok(error instanceof InvalidRequest);
      assert.equal(error.status, 422);
      assert.equal(error.message, message);
      return true;
    });
    await assert.rejects(
      client().get(RUN),
      /^InvalidRequest: query\.limit: Input should be greater than or equal to 1$/,
    );
  });

  it("raises Conflict for a 409 that is not a keyed trigger, at once", async () => {
    server.then(json(409, { detail: "run already ended" }));
    await assert.rejects(client().cancel(RUN), Conflict);
    assert.equal(server.requests.length, 1);
  });

  it("repeats a GET after a dropped connection", async () => {
    server.then(
      hangUp,
      json(200, { runId: RUN, workflowId: "w", version: 1, status: "RUNNING", steps: [] }),
    );
    const run = await client().get(RUN);
    assert.equal(run.status, "RUNNING");
    assert.equal(run.raw["runId"], RUN);
    assert.deepEqual(delays, [200]);
  });

  it("never repeats an unsafe POST after a dropped connection", async () => {
    server.then(hangUp, hangUp);
    await assert.rejects(client().cancel(RUN), /may have been applied/);
    await assert.rejects(client().signal(RUN, "approve", { ok: true }), ConnectionFailed);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(delays, []);
  });

  it("repeats a signal with a signalId after a dropped connection", async () => {
    const sent = { runId: RUN, name: "approve", signalId: "s1", duplicate: false, consumedBy: "a" };
    server.then(hangUp, json(200, sent));
    assert.deepEqual(await client().signal(RUN, "approve", null, { signalId: "s1" }), sent);
    assert.deepEqual(JSON.parse(server.requests[1]?.body ?? ""), { payload: null, signalId: "s1" });
  });

  it("raises ConnectionFailed naming the URL when nothing listens", async () => {
    await server.stop();
    await assert.rejects(client({ maxRetries: 2 }).cancel(RUN), (error: unknown) => {
      assert.ok(error instanceof ConnectionFailed);
      assert.ok(error.message.includes(`${url}/workflow/run/${RUN}/cancel`), error.message);
      assert.match(error.message, /ECONNREFUSED/);
      return true;
    });
    assert.deepEqual(delays, [200, 400], "a refused connection sent nothing: safe to repeat");
  });
});

describe("Client requests", () => {
  it("sends JSON with its Content-Type and the API key as a bearer token", async () => {
    server.then(json(201, { id: "w", version: 1 }));
    await client({ apiKey: "sekret" }).define({ id: "w", steps: [{ id: "a", action: "x" }] });
    const [request] = server.requests;
    assert.equal(request?.method, "POST");
    assert.equal(request?.url, "/workflow/");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.equal(request?.headers["authorization"], "Bearer sekret");
  });

  it("reads LEGATO_API_URL and LEGATO_API_KEY, and sends no Authorization without a key", async () => {
    server.then(json(401, { detail: "missing API key" }), json(200, { runId: RUN }));
    const fromEnv = new Client({ env: { LEGATO_API_URL: `${url}/` } });
    await assert.rejects(fromEnv.cancel(RUN), Unauthorized);
    assert.equal(server.requests[0]?.headers["authorization"], undefined);
    const keyed = new Client({ env: { LEGATO_API_URL: url, LEGATO_API_KEY: " k2 " } });
    await keyed.trigger("w", 1, { priority: 2 });
    assert.equal(server.requests[1]?.headers["authorization"], "Bearer k2");
    assert.deepEqual(JSON.parse(server.requests[1]?.body ?? ""), { input: 1, priority: 2 });
  });

  it("lists runs across pages up to the limit", async () => {
    const runs = (ids: string[]) =>
      ids.map((runId) => ({ runId, workflowId: "w", status: "COMPLETED" }));
    server.then(
      json(200, { runs: runs(["r1", "r2"]), nextCursor: "c1" }),
      json(200, { runs: runs(["r3", "r4"]), nextCursor: "c2" }),
    );
    const seen: string[] = [];
    for await (const run of client().listRuns({
      workflowId: "w",
      status: ["COMPLETED", "FAILED"],
      limit: 3,
      pageSize: 2,
    })) {
      seen.push(run.runId);
    }
    assert.deepEqual(seen, ["r1", "r2", "r3"]);
    const queries = server.requests.map((r) => new URL(r.url, url).searchParams);
    assert.deepEqual(
      queries.map((q) => [q.get("limit"), q.get("cursor"), q.get("workflowId"), q.get("status")]),
      [
        ["2", null, "w", "COMPLETED,FAILED"],
        ["1", "c1", "w", "COMPLETED,FAILED"],
      ],
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Limiter } from "../../src/worker/limiter.js";

describe("Limiter", () => {
  it("grants up to its limit, then queues in order", async () => {
    const limiter = new Limiter(2);
    assert.equal(await limiter.acquire(), true);
    assert.equal(await limiter.acquire(), true);
    const order: number[] = [];
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    assert.equal(limiter.running, 2);
    limiter.release();
    await third;
    limiter.release();
    await fourth;
    assert.deepEqual(order, [3, 4]);
  });

  it("gives up waiting when the signal aborts, holding no slot", async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort();
    assert.equal(await waiting, false);
    limiter.release();
    assert.equal(limiter.running, 0);
  });
});

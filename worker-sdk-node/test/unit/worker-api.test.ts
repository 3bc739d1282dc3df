import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  ApplicationError,
  LegatoError,
  NonRetryableError,
  SDK,
  Worker,
  loadSettings,
} from "../../src/index.js";

describe("public API", () => {
  it("exports the documented names", () => {
    assert.equal(typeof Worker, "function");
    assert.equal(typeof loadSettings, "function");
    assert.ok(new NonRetryableError("x") instanceof ApplicationError);
    assert.ok(new ApplicationError("x") instanceof LegatoError);
  });

  it("reports sdk as node/<package version>", () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    assert.equal(SDK, `node/${version}`);
  });

  it("validates action names", () => {
    const worker = new Worker({ env: {}, handleSignals: false });
    for (const bad of ["", "1step", "DLT", "has space", "a.b", "x".repeat(101)]) {
      assert.throws(() => worker.register(bad, () => null), /invalid action name/);
    }
    for (const good of ["step1", "charge_card", "hand-node", "A", "x".repeat(100)]) {
      worker.register(good, () => null);
    }
  });

  it("rejects registering an action twice", () => {
    const worker = new Worker({ env: {}, handleSignals: false }).register("a", () => 1);
    assert.throws(() => worker.register("a", () => 2), /already registered/);
  });

  it("refuses to start without handlers", async () => {
    await assert.rejects(new Worker({ env: {}, handleSignals: false }).start(), /at least one/);
  });

  it("reads settings from the given env", () => {
    const worker = new Worker({ env: { LEGATO_WORKER_CONCURRENCY: "3" }, handleSignals: false });
    assert.equal(worker.settings.concurrency, 3);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/http";
import { bulkAction, getSignals, pauseRun, resumeRun, sendSignal } from "../src/api/runs";
import { EMPTY_FILTER } from "../src/lib/filters";

/** Stubs fetch with one answer and records what was asked. */
function answer(status: number, body: unknown) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? "GET", body: init.body ? JSON.parse(String(init.body)) : null });
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("signal, pause and resume calls", () => {
  it("send a signal: payload, and the signal id only when given", async () => {
    const calls = answer(200, { runId: "r 1", name: "ok/no", signalId: "s", duplicate: false });
    await sendSignal("r 1", "ok/no", { ok: true });
    await sendSignal("r 1", "ok/no", null, "s");
    expect(calls).toEqual([
      { url: "/workflow/run/r%201/signal/ok%2Fno", method: "POST", body: { payload: { ok: true } } },
      { url: "/workflow/run/r%201/signal/ok%2Fno", method: "POST", body: { payload: null, signalId: "s" } },
    ]);
  });

  it("a refused signal is an ApiError with the problem's detail", async () => {
    answer(409, { type: "about:blank", title: "Conflict", status: 409, detail: "run r ended: COMPLETED" });
    const refused = sendSignal("r", "approval", 1);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    await expect(refused).rejects.toMatchObject({ status: 409, message: "run r ended: COMPLETED" });
  });

  it("pause, resume, signals list and the bulk forms", async () => {
    const calls = answer(200, { runId: "r", status: "PAUSED", changed: true });
    await pauseRun("r");
    await resumeRun("r");
    await getSignals("r");
    await bulkAction("pause", { runIds: ["a", "b"] }, true);
    await bulkAction("resume", { filter: { ...EMPTY_FILTER, status: ["PAUSED"] } }, false, 500);
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ["POST", "/workflow/run/r/pause", {}],
      ["POST", "/workflow/run/r/resume", {}],
      ["GET", "/workflow/run/r/signals", null],
      ["POST", "/workflow/runs/pause", { runIds: ["a", "b"], dryRun: true }],
      ["POST", "/workflow/runs/resume", { filter: { status: ["PAUSED"] }, dryRun: false, limit: 500 }],
    ]);
  });
});

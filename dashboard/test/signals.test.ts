import { describe, expect, it } from "vitest";
import { childRunOf, describeEvent } from "../src/lib/events";
import { parseSignalPayload, sentMessage, signalIdOf } from "../src/lib/signals";

describe("signal form", () => {
  it("the payload is any JSON value; empty sends null", () => {
    expect(parseSignalPayload('{"ok": true}')).toEqual({ ok: true, value: { ok: true } });
    expect(parseSignalPayload(" [1, 2] ")).toEqual({ ok: true, value: [1, 2] });
    expect(parseSignalPayload('"yes"')).toEqual({ ok: true, value: "yes" });
    expect(parseSignalPayload("false")).toEqual({ ok: true, value: false });
    expect(parseSignalPayload("  \n")).toEqual({ ok: true, value: null });
  });

  it("anything else is refused with a message that says so", () => {
    for (const text of ["{ok: true}", "{'ok': true}", '{"ok": true', "yes", '{"a": 1} trailing']) {
      const parsed = parseSignalPayload(text);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/^The payload is not valid JSON: ./);
    }
  });

  it("the signal id is optional and trimmed", () => {
    expect(signalIdOf("  ")).toBeUndefined();
    expect(signalIdOf(" approval-42 ")).toBe("approval-42");
  });

  it("the answer says whether the signal was a duplicate", () => {
    const answer = { runId: "r", name: "approval", signalId: "s1", duplicate: false, consumedBy: null };
    expect(sentMessage(answer)).toBe("Signal approval sent (id s1); kept until a step waits for it.");
    expect(sentMessage({ ...answer, consumedBy: "approve" })).toBe(
      "Signal approval sent (id s1); step approve took it.",
    );
    expect(sentMessage({ ...answer, duplicate: true })).toBe(
      "Duplicate: signal approval with id s1 was already received; nothing changed.",
    );
  });
});

describe("history events in plain words", () => {
  const event = (type: string, data: unknown = null, stepId: string | null = null) => ({
    type,
    data,
    stepId,
  });

  it("signals", () => {
    expect(describeEvent(event("SIGNAL_WAITING", { name: "approval" }, "approve"))).toBe(
      "waiting for signal approval",
    );
    expect(describeEvent(event("SIGNAL_RECEIVED", { name: "approval", signalId: "s1" }))).toBe(
      "signal approval received (id s1)",
    );
    expect(describeEvent(event("SIGNAL_CONSUMED", { name: "approval", signalId: "s1" }, "approve"))).toBe(
      "signal approval consumed by step approve (id s1)",
    );
    expect(describeEvent(event("SIGNAL_TIMED_OUT", { name: "approval" }, "approve"))).toBe(
      "the wait for signal approval timed out",
    );
    expect(describeEvent(event("SIGNAL_TIMED_OUT", ["not", "an object"]))).toBe(
      "the wait for a signal timed out",
    );
  });

  it("child runs, with the child to link to", () => {
    const started = event("CHILD_STARTED", { childRunId: "c1", workflowId: "shipping", version: 3 }, "ship");
    expect(describeEvent(started)).toBe("child run started: shipping v3");
    expect(childRunOf(started)).toBe("c1");
    const ended = event("CHILD_ENDED", { childRunId: "c1", status: "COMPLETED" }, "ship");
    expect(describeEvent(ended)).toBe("child run ended: COMPLETED");
    expect(childRunOf(ended)).toBe("c1");
    expect(childRunOf(event("CHILD_STARTED", "odd"))).toBeNull();
    expect(childRunOf(event("RUN_PAUSED", { childRunId: "c1" }))).toBeNull();
  });

  it("pause and resume, by whom; other events have no line of their own", () => {
    expect(describeEvent(event("RUN_PAUSED", { by: "oncall" }))).toBe("run paused by oncall");
    expect(describeEvent(event("RUN_RESUMED", null))).toBe("run resumed");
    expect(describeEvent(event("RUN_RESUMED", { reason: "nothing queued" }))).toBe(
      "run resumed: nothing queued",
    );
    expect(describeEvent(event("STEP_COMPLETED", { output: 1 }, "a"))).toBeNull();
  });
});

import { describe, expect, it } from "vitest";
import type { RunStep } from "../src/api/types";
import { RUN_STATUSES } from "../src/api/types";
import { filterFromSearch, parseStatuses } from "../src/lib/filters";
import { actionResult, actionSummary, allowed, RUN_ACTIONS } from "../src/lib/runActions";
import { isActive, tone } from "../src/lib/status";

describe("run actions by status", () => {
  it("pause a running run, resume a paused one, cancel either, retry a failed one", () => {
    const table = Object.fromEntries(
      RUN_STATUSES.map((s) => [s, RUN_ACTIONS.filter((a) => allowed(a, s)).join(",")]),
    );
    expect(table).toEqual({
      PENDING: "cancel",
      RUNNING: "cancel,pause",
      PAUSED: "cancel,resume",
      COMPLETED: "",
      FAILED: "retry",
      CANCELLED: "",
    });
  });

  it("dry runs count the steps the action touches", () => {
    const steps = ["COMPLETED", "RUNNING", "WAITING", "FAILED", "SKIPPED"].map(
      (status, i) => ({ id: `s${i}`, status }) as RunStep,
    );
    expect(actionSummary("pause", { status: "RUNNING", steps })).toBe(
      "1 run (RUNNING) would be paused; 2 unfinished steps",
    );
    expect(actionSummary("resume", { status: "PAUSED", steps })).toBe(
      "1 run (PAUSED) would resume; 2 unfinished steps",
    );
    expect(actionSummary("cancel", { status: "PAUSED", steps })).toBe(
      "1 run (PAUSED); 2 unfinished steps would be withdrawn",
    );
    expect(actionSummary("retry", { status: "FAILED", steps })).toBe(
      "1 run (FAILED); 3 unfinished steps would run again",
    );
  });

  it("results say when the run already was where the action asked", () => {
    expect(actionResult("pause", { changed: true })).toBe("Run paused.");
    expect(actionResult("pause", { changed: false })).toBe("The run was already paused.");
    expect(actionResult("resume", { changed: true })).toBe("Run resumed.");
    expect(actionResult("retry", { changed: true })).toBe("Retry started.");
    expect(actionResult("cancel", { changed: true })).toBe("Run cancelled.");
  });
});

describe("PAUSED", () => {
  it("has its own colour and keeps the run page polling", () => {
    expect(tone("PAUSED")).toBe("paused");
    expect(tone("paused")).toBe("paused");
    expect(tone("WAITING")).toBe("waiting");
    expect(isActive("PAUSED")).toBe(true);
    expect(isActive("COMPLETED")).toBe(false);
  });

  it("is a status the run filters know, in its place", () => {
    expect(RUN_STATUSES).toEqual(["PENDING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED"]);
    expect(parseStatuses(["completed,paused"])).toEqual(["PAUSED", "COMPLETED"]);
    expect(filterFromSearch("status=PAUSED").status).toEqual(["PAUSED"]);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/http";
import { clearLimits, listLimits, setLimits } from "../src/api/limits";
import type { ActionLimits, RunStep } from "../src/api/types";
import { priorityText } from "../src/lib/format";
import { nodeTitle, stepBadge } from "../src/lib/graph";
import {
  clearSummary,
  draftOf,
  EMPTY_DRAFT,
  limitsText,
  parseDraft,
  rateText,
  refusedText,
  savedResult,
  tokensText,
} from "../src/lib/limits";
import { tone } from "../src/lib/status";

const CHARGE: ActionLimits = {
  action: "charge-card",
  maxConcurrent: 1,
  rate: { limit: 10, periodSeconds: 1 },
  inFlight: 1,
  throttled: 2,
  tokens: 8.96,
  updatedAt: "2026-01-05T10:00:00Z",
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the limit form", () => {
  const draft = { ...EMPTY_DRAFT, action: " charge-card " };

  it("sends a cap, a rate or both, the field left empty as null", () => {
    expect(parseDraft({ ...draft, maxConcurrent: "5" })).toEqual({
      ok: true,
      action: "charge-card",
      body: { maxConcurrent: 5, rate: null },
    });
    expect(parseDraft({ ...draft, rateLimit: "10", periodSeconds: "0.5" })).toEqual({
      ok: true,
      action: "charge-card",
      body: { maxConcurrent: null, rate: { limit: 10, periodSeconds: 0.5 } },
    });
    expect(parseDraft(draftOf(CHARGE))).toEqual({
      ok: true,
      action: "charge-card",
      body: { maxConcurrent: 1, rate: { limit: 10, periodSeconds: 1 } },
    });
  });

  it("refuses what is not a limit; the ranges are left to the API", () => {
    const error = (d: typeof draft) => {
      const parsed = parseDraft(d);
      return parsed.ok ? null : parsed.error;
    };
    expect(error({ ...EMPTY_DRAFT, maxConcurrent: "1" })).toBe("Name the action.");
    expect(error(draft)).toBe("Give a max concurrent, a rate, or both.");
    expect(error({ ...draft, maxConcurrent: "1.5" })).toBe("Max concurrent must be a whole number.");
    expect(error({ ...draft, rateLimit: "10" })).toBe("A rate needs both a number of jobs and a period.");
    expect(error({ ...draft, rateLimit: "2.5", periodSeconds: "1" })).toBe(
      "The rate's jobs must be a whole number.",
    );
    expect(error({ ...draft, maxConcurrent: "0" })).toBeNull();
    expect(error({ ...draft, rateLimit: "10", periodSeconds: "-1" })).toBeNull();
  });

  it("shows a validation problem field by field, any other problem by its detail", () => {
    const invalid = new ApiError(422, "[...]", {
      detail: [
        { loc: ["body", "maxConcurrent"], msg: "Input should be greater than or equal to 1", type: "x" },
        { loc: ["body", "rate", "limit"], msg: "Field required", type: "missing" },
      ],
    });
    expect(refusedText("Not saved", invalid)).toBe(
      "Not saved (422): maxConcurrent: Input should be greater than or equal to 1; rate.limit: Field required",
    );
    const plain = new ApiError(422, "give maxConcurrent or rate", { detail: "give maxConcurrent or rate" });
    expect(refusedText("Not saved", plain)).toBe("Not saved (422): give maxConcurrent or rate");
    expect(refusedText("Not cleared", new Error("offline"))).toBe("Not cleared: offline");
  });
});

describe("limits in words", () => {
  it("rates per period, caps, tokens", () => {
    expect(rateText({ limit: 10, periodSeconds: 1 })).toBe("10 / 1 s");
    expect(rateText({ limit: 1000, periodSeconds: 60 })).toBe("1,000 / 1 min");
    expect(rateText({ limit: 5, periodSeconds: 90 })).toBe("5 / 90 s");
    expect(rateText({ limit: 5, periodSeconds: 7200 })).toBe("5 / 2 h");
    expect(rateText({ limit: 5, periodSeconds: 86_400 })).toBe("5 / 1 d");
    expect(rateText(null)).toBe("none");
    expect(tokensText(null)).toBe("–");
    expect(tokensText(3)).toBe("3");
    expect(tokensText(8.96)).toBe("8.9");
    expect(limitsText(CHARGE)).toBe("at most 1 at a time, 10 / 1 s");
    expect(limitsText({ maxConcurrent: null, rate: null })).toBe("no limit");
    expect(savedResult(CHARGE)).toBe("Limits of charge-card saved: at most 1 at a time, 10 / 1 s.");
    expect(clearSummary(CHARGE)).toBe(
      "action charge-card (at most 1 at a time, 10 / 1 s; 1 in flight, 2 throttled) would have no limit",
    );
  });

  it("priorities, PENDING's own colour, a waiting step", () => {
    expect([1, 3, 5, undefined].map(priorityText)).toEqual(["1 (highest)", "3", "5 (lowest)", "–"]);
    expect(tone("PENDING")).toBe("pending");
    const step = { status: "RUNNING", attempts: 0, waitingFor: "a slot of action charge-card" } as RunStep;
    expect(stepBadge(step)).toBe("RUNNING · waiting");
    const node = {
      id: "charge",
      label: "charge",
      kind: "task" as const,
      action: "charge-card",
      conditional: false,
      signal: null,
      workflow: null,
    };
    expect(nodeTitle(node, step)).toBe(
      "charge (action charge-card): waiting for a slot of action charge-card",
    );
    expect(nodeTitle(node)).toBe("charge (action charge-card)");
  });
});

describe("limit calls", () => {
  it("list, set (PUT) and clear (DELETE), the action's name escaped", async () => {
    const calls: { url: string; method: string; body: unknown }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({
        url,
        method: init.method ?? "GET",
        body: init.body ? JSON.parse(String(init.body)) : null,
      });
      if (init.method === "DELETE") return new Response(null, { status: 204 });
      const body = init.method === "PUT" ? CHARGE : { items: [CHARGE] };
      return new Response(JSON.stringify(body), { status: 200 });
    });
    expect(await listLimits()).toEqual([CHARGE]);
    expect(await setLimits("a/b", { maxConcurrent: 1, rate: null })).toEqual(CHARGE);
    await clearLimits("a/b");
    expect(calls).toEqual([
      { url: "/actions/limits", method: "GET", body: null },
      { url: "/actions/a%2Fb/limits", method: "PUT", body: { maxConcurrent: 1, rate: null } },
      { url: "/actions/a%2Fb/limits", method: "DELETE", body: null },
    ]);
  });
});

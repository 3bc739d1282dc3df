import { describe, expect, it } from "vitest";
import type { RunStep } from "../src/api/types";
import {
  definitionGraph,
  kindLabel,
  kindOf,
  nodeTitle,
  runStepKind,
  stepBadge,
  stepsOnlyGraph,
} from "../src/lib/graph";
import { LABELLED_NODE_HEIGHT, layoutGraph, NODE_HEIGHT, nodeHeight, pathOf } from "../src/lib/layout";

describe("graph from a definition", () => {
  it("linear: ids are actions (action-index when repeated), chained by stepIndex", () => {
    const g = definitionGraph([
      { action: "b", stepIndex: 1 },
      { action: "a", stepIndex: 0 },
      { action: "b", stepIndex: 2 },
      { action: "c", stepIndex: 3, id: "custom" },
    ]);
    expect(g.nodes.map((n) => n.id)).toEqual(["a", "b-1", "b-2", "custom"]);
    expect(g.edges).toEqual([
      { from: "a", to: "b-1" },
      { from: "b-1", to: "b-2" },
      { from: "b-2", to: "custom" },
    ]);
  });

  it("graph format: edges from dependsOn, kinds from forEach/wait, unknown dependencies ignored", () => {
    const g = definitionGraph([
      { id: "validate", action: "v" },
      { id: "items", action: "i", dependsOn: ["validate"], forEach: "input.items" },
      { id: "cool", wait: { seconds: 5 }, dependsOn: ["validate", "ghost"], when: "input.x" },
    ]);
    expect(g.nodes.map((n) => [n.id, n.kind, n.conditional])).toEqual([
      ["validate", "task", false],
      ["items", "map", false],
      ["cool", "wait", true],
    ]);
    expect(g.edges).toEqual([
      { from: "validate", to: "items" },
      { from: "validate", to: "cool" },
    ]);
  });

  it("signal and workflow steps: their own kinds, named by their signal and child workflow", () => {
    const g = definitionGraph([
      { id: "check", action: "c" },
      { id: "approve", signal: { name: "approval", timeoutSeconds: 86400 }, dependsOn: ["check"] },
      { id: "ship", workflow: { id: "shipping", version: 3 }, input: {}, dependsOn: ["approve"] },
      { id: "notify", workflow: { id: "notify" }, dependsOn: ["approve"] },
    ]);
    expect(g.nodes.map((n) => [n.id, n.kind, n.action])).toEqual([
      ["check", "task", "c"],
      ["approve", "signal", null],
      ["ship", "workflow", null],
      ["notify", "workflow", null],
    ]);
    expect(g.edges).toEqual([
      { from: "check", to: "approve" },
      { from: "approve", to: "ship" },
      { from: "approve", to: "notify" },
    ]);
    const [check, approve, ship, notify] = g.nodes;
    expect(approve?.signal).toBe("approval");
    expect(ship?.workflow).toEqual({ id: "shipping", version: 3 });
    expect(notify?.workflow).toEqual({ id: "notify", version: null });
    // drawn with a line saying what they wait for or start, and an accessible name that says it too
    expect(g.nodes.map((n) => kindLabel(n))).toEqual([
      null,
      "‖ signal: approval",
      "↳ workflow: shipping v3",
      "↳ workflow: notify (latest)",
    ]);
    expect(g.nodes.map((n) => nodeTitle(n))).toEqual([
      "check (action c)",
      "approve (waits for signal approval)",
      "ship (starts workflow shipping v3)",
      "notify (starts workflow notify (latest))",
    ]);
    expect(check && nodeHeight(check)).toBe(NODE_HEIGHT);
    expect(approve && nodeHeight(approve)).toBe(LABELLED_NODE_HEIGHT);
  });

  it("a signal or workflow field wins over wait and forEach; null fields are absent", () => {
    expect(kindOf({ id: "s", signal: { name: "x" }, wait: { seconds: 1 } })).toBe("signal");
    expect(kindOf({ id: "w", workflow: { id: "child" }, forEach: "input.items" })).toBe("workflow");
    expect(kindOf({ id: "t", action: "a", signal: null, workflow: null } as never)).toBe("task");
  });

  it("a run's step kind: the API's kind when sent, else guessed from its fields", () => {
    const step = (over: Partial<RunStep>) => ({ id: "s", action: null, ...over }) as RunStep;
    expect(runStepKind(step({ kind: "signal" }))).toBe("signal");
    expect(runStepKind(step({ kind: "workflow", action: "x" }))).toBe("workflow");
    expect(runStepKind(step({ kind: "bogus" as never, action: "x" }))).toBe("task");
    expect(runStepKind(step({ signal: { name: "approval" } }))).toBe("signal");
    expect(runStepKind(step({ workflow: { id: "shipping", version: null } }))).toBe("workflow");
    expect(runStepKind(step({ items: { total: 2, completed: 1 } } as Partial<RunStep>))).toBe("map");
    expect(runStepKind(step({}))).toBe("wait");
    const nodes = stepsOnlyGraph([
      step({ id: "approve", kind: "signal", signal: { name: "approval" } }),
      step({ id: "ship", kind: "workflow", workflow: { id: "shipping", version: 3 }, childRunId: "r2" }),
    ]).nodes;
    expect(nodes.map((n) => [n.id, n.kind, kindLabel(n)])).toEqual([
      ["approve", "signal", "‖ signal: approval"],
      ["ship", "workflow", "↳ workflow: shipping v3"],
    ]);
  });

  it("without a definition, the run's steps are nodes", () => {
    const steps = [{ id: "s", action: null, items: undefined }] as unknown as RunStep[];
    expect(stepsOnlyGraph(steps).nodes[0]?.kind).toBe("wait");
  });

  it("badges say status, attempt and map progress", () => {
    const step = { status: "RUNNING", attempts: 2, items: { total: 10, completed: 4 } } as RunStep;
    expect(stepBadge(step)).toBe("RUNNING · attempt 2 · 4/10 items");
    expect(stepBadge(undefined)).toBe("not started");
  });
});

describe("layout", () => {
  it("places dependants below what they depend on and routes every edge", () => {
    const g = definitionGraph([
      { id: "a", action: "a" },
      { id: "b", action: "b", dependsOn: ["a"] },
      { id: "c", action: "c", dependsOn: ["a"] },
      { id: "d", action: "d", dependsOn: ["b", "c"] },
    ]);
    const l = layoutGraph(g);
    const y = Object.fromEntries(l.nodes.map((n) => [n.id, n.y]));
    expect(y.b).toBeGreaterThan(y.a ?? 0);
    expect(y.b).toBe(y.c);
    expect(y.d).toBeGreaterThan(y.b ?? 0);
    expect(l.edges).toHaveLength(4);
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y + NODE_HEIGHT).toBeLessThanOrEqual(l.height);
    }
    expect(
      pathOf([
        { x: 1, y: 2 },
        { x: 3.333, y: 4 },
      ]),
    ).toBe("M1.0,2.0 L3.3,4.0");
  });
});

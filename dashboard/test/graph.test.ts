import { describe, expect, it } from "vitest";
import type { RunStep } from "../src/api/types";
import { definitionGraph, stepBadge, stepsOnlyGraph } from "../src/lib/graph";
import { layoutGraph, NODE_HEIGHT, pathOf } from "../src/lib/layout";

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

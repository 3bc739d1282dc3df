// A workflow definition as nodes and edges, with the same step ids the orchestrator gives them, and
// a run's step states laid over it.

import type { DefinitionStep, RunStep, StepKindName } from "../api/types";

export type StepKind = StepKindName;

const KINDS: readonly StepKind[] = ["task", "map", "wait", "signal", "workflow"];

export interface GraphNode {
  id: string;
  label: string;
  kind: StepKind;
  action: string | null;
  conditional: boolean;
  /** A signal step: the signal's name. */
  signal: string | null;
  /** A workflow step: the child workflow (version null: its latest). */
  workflow: { id: string; version: number | null } | null;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface StepGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function kindOf(step: DefinitionStep): StepKind {
  if (step.signal !== undefined && step.signal !== null) return "signal";
  if (step.workflow !== undefined && step.workflow !== null) return "workflow";
  if (step.wait !== undefined && step.wait !== null) return "wait";
  if (step.forEach) return "map";
  return "task";
}

function isLinear(steps: DefinitionStep[]): boolean {
  return steps.length > 0 && steps.every((s) => typeof s.stepIndex === "number" && !s.dependsOn);
}

/** Linear format: a step's id is its own `id`, else its action, else `<action>-<stepIndex>` when the
 * action appears more than once. */
function linearIds(steps: DefinitionStep[]): string[] {
  const uses = new Map<string, number>();
  for (const s of steps) if (!s.id && s.action) uses.set(s.action, (uses.get(s.action) ?? 0) + 1);
  return steps.map((s) => {
    if (s.id) return s.id;
    const action = s.action ?? "step";
    return (uses.get(action) ?? 0) > 1 ? `${action}-${s.stepIndex ?? 0}` : action;
  });
}

export function definitionGraph(steps: DefinitionStep[]): StepGraph {
  if (isLinear(steps)) {
    const ordered = [...steps].sort((a, b) => (a.stepIndex ?? 0) - (b.stepIndex ?? 0));
    const ids = linearIds(ordered);
    const nodes = ordered.map((s, i) => node(ids[i] ?? `step-${i}`, s));
    const edges = nodes.slice(1).map((n, i) => ({ from: nodes[i]?.id ?? "", to: n.id }));
    return { nodes, edges };
  }
  const nodes = steps.map((s, i) => node(s.id ?? s.action ?? `step-${i}`, s));
  const known = new Set(nodes.map((n) => n.id));
  const edges: GraphEdge[] = [];
  steps.forEach((s, i) => {
    for (const dep of s.dependsOn ?? []) {
      if (known.has(dep)) edges.push({ from: dep, to: nodes[i]?.id ?? "" });
    }
  });
  return { nodes, edges };
}

function node(id: string, step: DefinitionStep): GraphNode {
  const kind = kindOf(step);
  return {
    id,
    label: id,
    kind,
    action: step.action ?? null,
    conditional: typeof step.when === "string" && step.when.length > 0,
    signal: kind === "signal" ? (step.signal?.name ?? null) : null,
    workflow:
      kind === "workflow" && step.workflow
        ? { id: step.workflow.id, version: step.workflow.version ?? null }
        : null,
  };
}

/** A run's step kind: the API's `kind` when it sends a known one, else guessed from its fields. */
export function runStepKind(step: RunStep): StepKind {
  if (step.kind && KINDS.includes(step.kind)) return step.kind;
  if (step.signal) return "signal";
  if (step.workflow) return "workflow";
  if (step.items) return "map";
  return step.action ? "task" : "wait";
}

/** A run's steps without a definition (it could not be read): nodes in the run's order, no edges. */
export function stepsOnlyGraph(steps: RunStep[]): StepGraph {
  return {
    nodes: steps.map((s) => ({
      id: s.id,
      label: s.id,
      kind: runStepKind(s),
      action: s.action,
      conditional: false,
      signal: s.signal?.name ?? null,
      workflow: s.workflow ? { id: s.workflow.id, version: s.workflow.version ?? null } : null,
    })),
    edges: [],
  };
}

/** "shipping v3", or "shipping (latest)" when the step names no version. */
export function workflowRef(workflow: { id: string; version: number | null }): string {
  return workflow.version === null ? `${workflow.id} (latest)` : `${workflow.id} v${workflow.version}`;
}

/** The line a signal or workflow node shows under its id ("‖ signal: approval"); null for the rest. */
export function kindLabel(node: GraphNode): string | null {
  if (node.kind === "signal") return `‖ signal: ${node.signal ?? "?"}`;
  if (node.kind === "workflow") return `↳ workflow: ${node.workflow ? workflowRef(node.workflow) : "?"}`;
  return null;
}

/** A node's accessible name (its SVG <title>): the id and what the step runs, waits for or starts;
 * with the run's step, why it waits when it does. */
export function nodeTitle(node: GraphNode, step?: RunStep): string {
  const title = definedTitle(node);
  return step?.waitingFor ? `${title}: waiting for ${step.waitingFor}` : title;
}

function definedTitle(node: GraphNode): string {
  if (node.kind === "signal") return `${node.id} (waits for signal ${node.signal ?? "?"})`;
  if (node.kind === "workflow")
    return `${node.id} (starts workflow ${node.workflow ? workflowRef(node.workflow) : "?"})`;
  return `${node.id}${node.action ? ` (action ${node.action})` : ""}`;
}

/** The text a step node shows under its id: status, waiting (for what: the node's title and the step
 * panel say), attempts, map progress. */
export function stepBadge(step: RunStep | undefined): string {
  if (!step) return "not started";
  const parts = [step.status];
  if (step.waitingFor) parts.push("waiting");
  if (step.attempts > 0) parts.push(`attempt ${step.attempts}`);
  if (step.items) parts.push(`${step.items.completed}/${step.items.total} items`);
  return parts.join(" · ");
}

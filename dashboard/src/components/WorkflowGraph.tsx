import { useMemo } from "react";
import type { RunStep } from "../api/types";
import type { StepGraph } from "../lib/graph";
import { kindLabel, nodeTitle, stepBadge } from "../lib/graph";
import { layoutGraph, pathOf } from "../lib/layout";
import { tone } from "../lib/status";

/** The step graph (dagre layout, SVG). With `steps`, each node shows the run's state of that step. */
export function WorkflowGraph({
  graph,
  steps,
  selected,
  onSelect,
}: {
  graph: StepGraph;
  steps?: Map<string, RunStep>;
  selected?: string | null;
  onSelect?: (id: string) => void;
}) {
  const layout = useMemo(() => layoutGraph(graph), [graph]);
  const kinds = new Map(graph.nodes.map((n) => [n.id, n]));
  return (
    <div className="graph-scroll">
      <svg
        className="graph"
        data-testid="workflow-graph"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-label="workflow graph"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="8"
            markerHeight="8"
            orient="auto"
          >
            <path d="M0,0 L10,5 L0,10 z" className="arrow-head" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <path key={`${e.from}->${e.to}`} className="edge" d={pathOf(e.points)} markerEnd="url(#arrow)" />
        ))}
        {layout.nodes.map((n) => {
          const node = kinds.get(n.id);
          const step = steps?.get(n.id);
          const status = steps ? (step?.status ?? "NOT_STARTED") : (node?.kind ?? "task");
          const label = node ? kindLabel(node) : null;
          const cls = `node kind-${node?.kind ?? "task"} tone-${steps ? tone(step?.status) : "neutral"}${selected === n.id ? " selected" : ""}`;
          return (
            <g
              key={n.id}
              className={cls}
              data-testid="step-node"
              data-step-id={n.id}
              data-status={status}
              data-attempts={step?.attempts ?? 0}
              data-waiting-for={step?.waitingFor ?? ""}
              transform={`translate(${n.x},${n.y})`}
              onClick={onSelect ? () => onSelect(n.id) : undefined}
              tabIndex={onSelect ? 0 : undefined}
              onKeyDown={onSelect ? (ev) => ev.key === "Enter" && onSelect(n.id) : undefined}
            >
              <title>{node ? nodeTitle(node, step) : n.id}</title>
              <rect width={n.width} height={n.height} rx={node?.kind === "wait" ? 24 : 6} />
              {node?.kind === "workflow" && (
                <rect className="child-frame" x={4} y={4} width={n.width - 8} height={n.height - 8} rx={4} />
              )}
              {node?.kind === "map" && (
                <rect className="map-shadow" x={4} y={4} width={n.width - 8} height={3} />
              )}
              <text x={10} y={22} className="node-title">
                {clip(n.id, 22)}
                {node?.conditional ? " ?" : ""}
              </text>
              {label !== null && (
                <text x={10} y={40} className="node-kind" data-testid="step-node-kind">
                  {clip(label, 26)}
                </text>
              )}
              {(steps || label === null) && (
                <text x={10} y={label === null ? 42 : 60} className="node-sub" data-testid="step-node-badge">
                  {clip(steps ? stepBadge(step) : (node?.action ?? node?.kind ?? ""), 28)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

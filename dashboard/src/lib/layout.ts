// Node positions and edge routes from dagre (layered layout, top to bottom).

import dagre from "@dagrejs/dagre";
import type { GraphNode, StepGraph } from "./graph";
import { kindLabel } from "./graph";

export interface Placed {
  id: string;
  x: number; // top-left corner
  y: number;
  width: number;
  height: number;
}

export interface Route {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface Layout {
  nodes: Placed[];
  edges: Route[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 56;
/** Signal and workflow nodes have one more line: what they wait for or start. */
export const LABELLED_NODE_HEIGHT = 74;

export function nodeHeight(node: GraphNode): number {
  return kindLabel(node) === null ? NODE_HEIGHT : LABELLED_NODE_HEIGHT;
}

export function layoutGraph(graph: StepGraph, direction: "TB" | "LR" = "TB"): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: direction, nodesep: 30, ranksep: 40, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: nodeHeight(n) });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const nodes = graph.nodes.map((n) => {
    const p = g.node(n.id);
    return { id: n.id, x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height };
  });
  const edges = graph.edges.map((e) => ({ from: e.from, to: e.to, points: g.edge(e.from, e.to).points }));
  const size = g.graph();
  return { nodes, edges, width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0) };
}

export function pathOf(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

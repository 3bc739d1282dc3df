import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import type { Definition, WorkflowStats } from "../api/types";
import { getDefinition, listDefinitions, listVersions, workflowStats } from "../api/workflows";
import { Problem } from "../components/Problem";
import { WorkflowGraph } from "../components/WorkflowGraph";
import { useResource } from "../hooks/useResource";
import { definitionGraph } from "../lib/graph";
import { formatCount, formatPercent, formatTime } from "../lib/format";

/** Definitions with run counts and failure rates (24 h); one definition's versions drawn as graphs. */
export function WorkflowsView() {
  const { id } = useParams();
  const defs = useResource(listDefinitions, "defs");
  const stats = useResource(() => workflowStats("24h"), "stats", 10_000);
  const byId = useMemo(() => new Map((stats.data ?? []).map((s) => [s.workflowId, s])), [stats.data]);
  return (
    <section data-testid="workflows-view">
      <h2>Workflows</h2>
      {defs.error !== null && <Problem error={defs.error} what="Definitions" />}
      {stats.error !== null && <Problem error={stats.error} what="Run counts and failure rates" />}
      <table className="table" data-testid="workflows-table">
        <thead>
          <tr>
            <th>Workflow</th>
            <th>Latest version</th>
            <th>Steps</th>
            <th>Started (24 h)</th>
            <th>Completed</th>
            <th>Failed</th>
            <th>Running</th>
            <th>Failure rate</th>
          </tr>
        </thead>
        <tbody>
          {(defs.data ?? []).map((d) => (
            <WorkflowRow key={d.id} d={d} s={byId.get(d.id)} selected={d.id === id} />
          ))}
        </tbody>
      </table>
      {id && <WorkflowDetail key={id} id={id} />}
    </section>
  );
}

function WorkflowRow({ d, s, selected }: { d: Definition; s: WorkflowStats | undefined; selected: boolean }) {
  return (
    <tr data-testid="workflow-row" data-workflow-id={d.id} className={selected ? "selected" : undefined}>
      <td>
        <Link to={`/workflows/${encodeURIComponent(d.id)}`} data-testid="workflow-link">
          {d.id}
        </Link>
      </td>
      <td>v{d.version}</td>
      <td>{d.steps.length}</td>
      <td>{formatCount(s?.started)}</td>
      <td>{formatCount(s?.completed)}</td>
      <td>{formatCount(s?.failed)}</td>
      <td>{formatCount(s?.running)}</td>
      <td data-testid="workflow-failure-rate">{formatPercent(s?.failureRate)}</td>
    </tr>
  );
}

function WorkflowDetail({ id }: { id: string }) {
  const [params, setParams] = useSearchParams();
  const versions = useResource(() => listVersions(id), `versions:${id}`);
  const wanted = Number(params.get("version")) || undefined;
  const def = useResource(() => getDefinition(id, wanted), `${id}@${wanted ?? "latest"}`);
  const graph = useMemo(() => (def.data ? definitionGraph(def.data.steps) : null), [def.data]);
  return (
    <div className="panel" data-testid="workflow-detail" data-workflow-id={id}>
      <h3>
        {id} <span className="dim">v{def.data?.version ?? wanted ?? "?"}</span>{" "}
        <Link to={`/runs?workflowId=${encodeURIComponent(id)}`}>runs</Link>
      </h3>
      {versions.error !== null && <Problem error={versions.error} what="Versions" />}
      {versions.data && (
        <div className="versions" data-testid="workflow-versions">
          {versions.data.map((v) => (
            <button
              key={v.version}
              type="button"
              data-testid="workflow-version"
              className={v.version === def.data?.version ? "on" : undefined}
              onClick={() => setParams({ version: String(v.version) })}
            >
              v{v.version} <span className="dim">{formatTime(v.createdAt)}</span>
            </button>
          ))}
        </div>
      )}
      {def.error !== null && <Problem error={def.error} what="Definition" />}
      {graph && <WorkflowGraph graph={graph} />}
    </div>
  );
}

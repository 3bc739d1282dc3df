import { Link } from "react-router";
import type { RunSummary } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { durationBetween, formatDuration, formatTime } from "../../lib/format";

export function RunTable({
  runs,
  selected,
  allMatching,
  onToggle,
  onTogglePage,
}: {
  runs: RunSummary[];
  selected: Set<string>;
  allMatching: boolean;
  onToggle: (runId: string, on: boolean) => void;
  onTogglePage: (on: boolean) => void;
}) {
  const now = Date.now();
  const pageSelected = runs.length > 0 && runs.every((r) => selected.has(r.runId));
  return (
    <table className="table" data-testid="runs-table">
      <thead>
        <tr>
          <th>
            <input
              type="checkbox"
              aria-label="select this page"
              data-testid="select-page"
              checked={allMatching || pageSelected}
              disabled={allMatching}
              onChange={(ev) => onTogglePage(ev.target.checked)}
            />
          </th>
          <th>Run</th>
          <th>Workflow</th>
          <th>Status</th>
          <th>Created</th>
          <th>Duration</th>
          <th>Correlation id</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId} data-testid="run-row" data-run-id={r.runId} data-status={r.status}>
            <td>
              <input
                type="checkbox"
                aria-label={`select run ${r.runId}`}
                data-testid="run-select"
                checked={allMatching || selected.has(r.runId)}
                disabled={allMatching}
                onChange={(ev) => onToggle(r.runId, ev.target.checked)}
              />
            </td>
            <td className="mono">
              <Link to={`/runs/${encodeURIComponent(r.runId)}`} data-testid="run-link">
                {r.runId}
              </Link>
            </td>
            <td>
              {r.workflowId} <span className="dim">v{r.version}</span>
            </td>
            <td>
              <StatusBadge status={r.status} />
            </td>
            <td>{formatTime(r.createdAt)}</td>
            <td>{formatDuration(durationBetween(r.createdAt, r.endedAt, now))}</td>
            <td className="mono">{r.correlationId ?? ""}</td>
            <td className="error-cell" data-testid="run-error">
              {r.error
                ? `${r.error.stepId ?? "?"}: ${r.error.type ?? "Error"}: ${r.error.message ?? ""}`
                : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

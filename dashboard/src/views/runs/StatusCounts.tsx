import { runCounts } from "../../api/runs";
import { RUN_STATUSES } from "../../api/types";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import type { RunFilter } from "../../lib/filters";
import { filterToSearch } from "../../lib/filters";
import { formatCount } from "../../lib/format";
import { tone } from "../../lib/status";

/** Live counts per status for the filter (its status part aside); a click filters on that status. */
export function StatusCounts({ filter, onPick }: { filter: RunFilter; onPick: (status: string) => void }) {
  const counts = useResource(() => runCounts(filter), filterToSearch({ ...filter, status: [] }), 5000);
  if (counts.error && !counts.data) return <Problem error={counts.error} what="Counts per status" />;
  return (
    <div className="counts" data-testid="status-counts">
      {RUN_STATUSES.map((s) => (
        <button
          key={s}
          type="button"
          className={`count tone-${tone(s)}${filter.status.includes(s) ? " on" : ""}`}
          data-testid={`status-count-${s}`}
          data-count={counts.data?.counts[s] ?? 0}
          onClick={() => onPick(s)}
        >
          <span className="count-n">
            {counts.data
              ? `${counts.data.atLeast.includes(s) ? "≥ " : ""}${formatCount(counts.data.counts[s] ?? 0)}`
              : "…"}
          </span>
          <span className="count-label">{s}</span>
        </button>
      ))}
      {counts.data?.searchWindow ? (
        <span className="note" data-testid="counts-search-window">
          text search: counted within the newest {formatCount(counts.data.searchWindow)} runs
        </span>
      ) : null}
    </div>
  );
}

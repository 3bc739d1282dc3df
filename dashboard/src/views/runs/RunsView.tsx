import { useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { listRuns } from "../../api/runs";
import { Pager } from "../../components/Pager";
import { Problem } from "../../components/Problem";
import { useCursorPages } from "../../hooks/useCursorPages";
import { useResource } from "../../hooks/useResource";
import type { RunFilter } from "../../lib/filters";
import { filterFromSearch, filterToSearch, withStatus } from "../../lib/filters";
import { BulkBar } from "./BulkBar";
import { RunFilters } from "./RunFilters";
import { RunTable } from "./RunTable";
import { StatusCounts } from "./StatusCounts";

/** Runs, newest first. The filter lives in the URL; a new filter starts a new list (keyed remount). */
export function RunsView() {
  const location = useLocation();
  const navigate = useNavigate();
  const filter = filterFromSearch(location.search);
  const search = filterToSearch(filter);
  const apply = (f: RunFilter) => navigate({ pathname: "/runs", search: filterToSearch(f) });
  return (
    <section data-testid="runs-view">
      <h2>Runs</h2>
      <StatusCounts
        filter={filter}
        onPick={(s) => apply(withStatus(filter, s, !filter.status.includes(s)))}
      />
      <RunFilters key={`f:${search}`} filter={filter} onApply={apply} />
      <RunList key={search} filter={filter} />
    </section>
  );
}

function RunList({ filter }: { filter: RunFilter }) {
  const pages = useCursorPages();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const runs = useResource(
    () => listRuns(filter, pages.cursor),
    `${filterToSearch(filter)}|${pages.cursor ?? ""}`,
    pages.page === 0 ? 5000 : null,
  );
  const toggle = (ids: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });
  const target = allMatching ? { filter } : selected.size > 0 ? { runIds: [...selected] } : null;
  return (
    <>
      <BulkBar
        target={target}
        count={selected.size}
        allMatching={allMatching}
        onAllMatching={setAllMatching}
        onDone={() => {
          setSelected(new Set());
          setAllMatching(false);
          runs.reload();
        }}
      />
      {runs.error !== null && <Problem error={runs.error} what="Runs" />}
      {runs.data && (
        <>
          <RunTable
            runs={runs.data.runs}
            selected={selected}
            allMatching={allMatching}
            onToggle={(id, on) => toggle([id], on)}
            onTogglePage={(on) => toggle(runs.data?.runs.map((r) => r.runId) ?? [], on)}
          />
          {runs.data.runs.length === 0 && (
            <p className="note" data-testid="runs-empty">
              No run matches.
            </p>
          )}
          <Pager
            page={pages.page}
            hasNext={runs.data.nextCursor !== null}
            onPrev={pages.prev}
            onNext={() => pages.next(runs.data?.nextCursor ?? null)}
          />
        </>
      )}
      {!runs.data && runs.error === null && <p className="note">Loading…</p>}
    </>
  );
}

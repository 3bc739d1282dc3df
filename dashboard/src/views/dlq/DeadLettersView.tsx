import { useState } from "react";
import type { FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import type { DeadLetterFilter, ReplayTarget } from "../../api/operations";
import { listDeadLetters, replayDeadLetters } from "../../api/operations";
import { DryRunDialog } from "../../components/DryRunDialog";
import { Pager } from "../../components/Pager";
import { Problem } from "../../components/Problem";
import { useCursorPages } from "../../hooks/useCursorPages";
import { useResource } from "../../hooks/useResource";
import { replaySummary } from "../../lib/deadLetters";
import { formatTime } from "../../lib/format";
import { DeadLetterPanel } from "./DeadLetterPanel";

const FIELDS = ["workflowId", "action", "errorType", "since", "runId", "replayed"] as const;

function filterOf(search: string): DeadLetterFilter {
  const params = new URLSearchParams(search);
  const out: DeadLetterFilter = {};
  for (const f of FIELDS) {
    const v = params.get(f)?.trim();
    if (v) (out as Record<string, string>)[f] = v;
  }
  return out;
}

export function DeadLettersView() {
  const { id } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const filter = filterOf(location.search);
  const search = new URLSearchParams(filter as Record<string, string>).toString();
  const apply = (f: DeadLetterFilter) =>
    navigate({
      pathname: location.pathname,
      search: new URLSearchParams(f as Record<string, string>).toString(),
    });
  return (
    <section data-testid="dead-letters-view">
      <h2>Dead letters</h2>
      <DeadLetterFilters key={search} filter={filter} onApply={apply} />
      <div className="split">
        <DeadLetterList key={search} filter={filter} search={search} selectedId={id ?? null} />
        {id && <DeadLetterPanel key={id} id={id} onReplayed={() => undefined} />}
      </div>
    </section>
  );
}

function DeadLetterFilters({
  filter,
  onApply,
}: {
  filter: DeadLetterFilter;
  onApply: (f: DeadLetterFilter) => void;
}) {
  const [draft, setDraft] = useState<DeadLetterFilter>(filter);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onApply(draft);
  };
  return (
    <form className="filters" data-testid="dead-letter-filters" onSubmit={submit}>
      {(["workflowId", "action", "errorType", "runId"] as const).map((f) => (
        <label key={f}>
          {f}
          <input
            data-testid={`dlq-filter-${f}`}
            value={draft[f] ?? ""}
            onChange={(ev) => setDraft({ ...draft, [f]: ev.target.value })}
          />
        </label>
      ))}
      <label>
        since
        <input
          type="datetime-local"
          data-testid="dlq-filter-since"
          onChange={(ev) =>
            setDraft({ ...draft, since: ev.target.value ? new Date(ev.target.value).toISOString() : "" })
          }
        />
      </label>
      <label>
        replayed
        <select
          data-testid="dlq-filter-replayed"
          value={draft.replayed ?? ""}
          onChange={(ev) => setDraft({ ...draft, replayed: ev.target.value as DeadLetterFilter["replayed"] })}
        >
          <option value="">any</option>
          <option value="false">not replayed</option>
          <option value="true">replayed</option>
        </select>
      </label>
      <div className="filter-actions">
        <button type="submit" className="primary" data-testid="dlq-filter-apply">
          Apply
        </button>
      </div>
    </form>
  );
}

function DeadLetterList({
  filter,
  search,
  selectedId,
}: {
  filter: DeadLetterFilter;
  search: string;
  selectedId: string | null;
}) {
  const pages = useCursorPages();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const [open, setOpen] = useState(false);
  const list = useResource(() => listDeadLetters(filter, pages.cursor), `${search}|${pages.cursor ?? ""}`);
  const target: ReplayTarget | null = allMatching
    ? { filter }
    : selected.size
      ? { ids: [...selected] }
      : null;
  // The dialog takes both when it opens (the target counted is the target replayed).
  const dryRun = async () => {
    if (!target) return { summary: "nothing selected", empty: true };
    const r = await replayDeadLetters(target, true);
    return { summary: replaySummary(r, true), empty: r.matched === 0 };
  };
  const run = async () => (target ? replaySummary(await replayDeadLetters(target, false), false) : "");
  const toggle = (id: string, on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  return (
    <div>
      <div className="bulk">
        <label>
          <input
            type="checkbox"
            data-testid="dlq-select-all-matching"
            checked={allMatching}
            onChange={(ev) => setAllMatching(ev.target.checked)}
          />
          All matching the filter
        </label>
        <span data-testid="dlq-selection-count">
          {allMatching ? "all matching" : `${selected.size} selected`}
        </span>
        <button type="button" data-testid="replay-many" disabled={!target} onClick={() => setOpen(true)}>
          Replay…
        </button>
      </div>
      {list.error !== null && <Problem error={list.error} what="Dead letters" />}
      {list.data && (
        <>
          <table className="table" data-testid="dead-letters-table">
            <thead>
              <tr>
                <th />
                <th>Dead at</th>
                <th>Workflow</th>
                <th>Step</th>
                <th>Action</th>
                <th>Error</th>
                <th>Replayed</th>
              </tr>
            </thead>
            <tbody>
              {list.data.deadLetters.map((d) => (
                <tr
                  key={d.id}
                  data-testid="dead-letter-row"
                  data-dead-letter-id={d.id}
                  className={d.id === selectedId ? "selected" : undefined}
                >
                  <td>
                    <input
                      type="checkbox"
                      data-testid="dead-letter-select"
                      aria-label={`select dead letter ${d.id}`}
                      checked={allMatching || selected.has(d.id)}
                      disabled={allMatching}
                      onChange={(ev) => toggle(d.id, ev.target.checked)}
                    />
                  </td>
                  <td>
                    <Link
                      to={`/dead-letters/${encodeURIComponent(d.id)}${search ? `?${search}` : ""}`}
                      data-testid="dead-letter-link"
                    >
                      {formatTime(d.deadAt)}
                    </Link>
                  </td>
                  <td>
                    {d.workflowId} <span className="dim">v{d.version}</span>
                  </td>
                  <td className="mono">
                    {d.stepId}
                    {d.item !== null && d.item !== undefined ? ` [${d.item}]` : ""}
                  </td>
                  <td>{d.action}</td>
                  <td className="error-cell">
                    {d.errorType ?? ""}: {d.errorMessage ?? ""}
                  </td>
                  <td>{d.replayedAt ? formatTime(d.replayedAt) : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            page={pages.page}
            hasNext={list.data.nextCursor !== null}
            onPrev={pages.prev}
            onNext={() => pages.next(list.data?.nextCursor ?? null)}
          />
        </>
      )}
      {open && (
        <DryRunDialog
          title={
            allMatching
              ? "Replay all dead letters matching the filter"
              : `Replay ${selected.size} dead letters`
          }
          confirmLabel="Replay"
          dryRun={dryRun}
          run={run}
          onClose={(changed) => {
            setOpen(false);
            if (changed) {
              setSelected(new Set());
              list.reload();
            }
          }}
        />
      )}
    </div>
  );
}

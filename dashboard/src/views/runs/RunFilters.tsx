import { useState } from "react";
import type { FormEvent } from "react";
import { RUN_STATUSES } from "../../api/types";
import type { RunFilter, TextField } from "../../lib/filters";
import { EMPTY_FILTER, withStatus } from "../../lib/filters";
import { isoToLocalInput, localInputToIso } from "../../lib/format";

const TEXT_INPUTS: {
  field: Exclude<TextField, "createdAfter" | "createdBefore">;
  label: string;
  wide?: boolean;
}[] = [
  { field: "workflowId", label: "Workflow" },
  { field: "version", label: "Version" },
  { field: "runId", label: "Run id", wide: true },
  { field: "idempotencyKey", label: "Idempotency key" },
  { field: "correlationId", label: "Correlation id" },
  { field: "scheduleId", label: "Schedule" },
  { field: "triggerId", label: "Trigger" },
  { field: "q", label: "Text in input", wide: true },
];

const RANGES: { label: string; ms: number }[] = [
  { label: "15 min", ms: 15 * 60_000 },
  { label: "1 h", ms: 3_600_000 },
  { label: "24 h", ms: 86_400_000 },
  { label: "7 d", ms: 7 * 86_400_000 },
];

/** The filter form: edits a draft, applied on submit (the list's URL then carries it). */
export function RunFilters({ filter, onApply }: { filter: RunFilter; onApply: (f: RunFilter) => void }) {
  const [draft, setDraft] = useState<RunFilter>(filter);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onApply(draft);
  };
  const last = (ms: number) =>
    onApply({ ...draft, createdAfter: new Date(Date.now() - ms).toISOString(), createdBefore: "" });
  return (
    <form className="filters" data-testid="run-filters" onSubmit={submit}>
      <fieldset className="statuses">
        <legend>Status</legend>
        {RUN_STATUSES.map((s) => (
          <label key={s}>
            <input
              type="checkbox"
              data-testid={`filter-status-${s}`}
              checked={draft.status.includes(s)}
              onChange={(ev) => setDraft(withStatus(draft, s, ev.target.checked))}
            />
            {s}
          </label>
        ))}
      </fieldset>
      {TEXT_INPUTS.map(({ field, label, wide }) => (
        <label key={field} className={wide ? "wide" : undefined}>
          {label}
          <input
            type={field === "version" ? "number" : "text"}
            min={field === "version" ? 1 : undefined}
            data-testid={`filter-${field}`}
            value={draft[field]}
            onChange={(ev) => setDraft({ ...draft, [field]: ev.target.value })}
          />
        </label>
      ))}
      <label>
        Created after
        <input
          type="datetime-local"
          data-testid="filter-createdAfter"
          value={isoToLocalInput(draft.createdAfter)}
          onChange={(ev) => setDraft({ ...draft, createdAfter: localInputToIso(ev.target.value) })}
        />
      </label>
      <label>
        Created before
        <input
          type="datetime-local"
          data-testid="filter-createdBefore"
          value={isoToLocalInput(draft.createdBefore)}
          onChange={(ev) => setDraft({ ...draft, createdBefore: localInputToIso(ev.target.value) })}
        />
      </label>
      <div className="filter-actions">
        <span className="quick">
          Last:
          {RANGES.map((r) => (
            <button
              key={r.label}
              type="button"
              className="link"
              data-testid={`filter-last-${r.ms}`}
              onClick={() => last(r.ms)}
            >
              {r.label}
            </button>
          ))}
        </span>
        <button type="submit" className="primary" data-testid="filter-apply">
          Apply
        </button>
        <button
          type="button"
          data-testid="filter-clear"
          onClick={() => {
            setDraft(EMPTY_FILTER);
            onApply(EMPTY_FILTER);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

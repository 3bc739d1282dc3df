import { useState } from "react";
import type { FormEvent } from "react";
import { backfillSchedule } from "../../api/schedules";
import type { BackfillOverlap, Schedule } from "../../api/types";
import { DryRunDialog } from "../../components/DryRunDialog";
import { BACKFILL_OVERLAPS, backfillRange, backfillResult, backfillSummary } from "../../lib/schedules";

/** Fire every fire time of [start, end) now (at most 1,000), under the schedule's overlap policy or the
 * one picked; the dialog shows what the API answered (fires started, buffered, skipped) or its error. */
export function BackfillForm({ schedule, onDone }: { schedule: Schedule; onDone: () => void }) {
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const [overlap, setOverlap] = useState<BackfillOverlap | "">("");
  const [open, setOpen] = useState(false);
  const range = backfillRange(start, end);
  // The dialog takes both when it opens: what it describes is what it sends.
  const dryRun = async () =>
    range.ok
      ? { summary: backfillSummary(schedule, range, overlap), empty: false }
      : { summary: range.error, empty: true };
  const run = async () =>
    range.ok ? backfillResult(await backfillSchedule(schedule.id, { ...range, overlap })) : "nothing done";
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    if (range.ok) setOpen(true);
  };
  const touched = start !== "" || end !== "";
  return (
    <form className="filters" data-testid="backfill-form" onSubmit={submit}>
      <label>
        Start (included)
        <input
          type="datetime-local"
          data-testid="backfill-start"
          value={start}
          onChange={(ev) => setStart(ev.target.value)}
        />
      </label>
      <label>
        End (excluded)
        <input
          type="datetime-local"
          data-testid="backfill-end"
          value={end}
          onChange={(ev) => setEnd(ev.target.value)}
        />
      </label>
      <label>
        Overlap
        <select
          data-testid="backfill-overlap"
          value={overlap}
          onChange={(ev) => setOverlap(ev.target.value as BackfillOverlap | "")}
        >
          <option value="">the schedule&apos;s ({schedule.overlap})</option>
          {BACKFILL_OVERLAPS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <div className="filter-actions">
        <button type="submit" data-testid="backfill-submit" disabled={!range.ok}>
          Backfill…
        </button>
        {touched && !range.ok && (
          <span className="bad" data-testid="backfill-error">
            {range.error}
          </span>
        )}
      </div>
      {open && (
        <DryRunDialog
          title={`Backfill schedule ${schedule.id}`}
          confirmLabel="Backfill"
          dryRun={dryRun}
          run={run}
          onClose={(changed) => {
            setOpen(false);
            if (changed) onDone();
          }}
        />
      )}
    </form>
  );
}

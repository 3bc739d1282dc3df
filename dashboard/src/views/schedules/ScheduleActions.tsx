import { useCallback, useState } from "react";
import { Link } from "react-router";
import { pauseSchedule, resumeSchedule, triggerSchedule } from "../../api/schedules";
import type { Schedule, ScheduleFired } from "../../api/types";
import { DryRunDialog } from "../../components/DryRunDialog";
import type { ScheduleAction } from "../../lib/schedules";
import {
  pausedResult,
  SCHEDULE_ACTIONS,
  scheduleActionSummary,
  scheduleAllowed,
  triggeredResult,
} from "../../lib/schedules";

const BUTTONS: Record<ScheduleAction, { label: string; title: string; confirm: string }> = {
  pause: { label: "Pause…", title: "Pause this schedule", confirm: "Pause schedule" },
  resume: { label: "Resume…", title: "Resume this schedule", confirm: "Resume schedule" },
  trigger: { label: "Trigger now…", title: "Fire this schedule now", confirm: "Trigger now" },
};

/** Pause (with an optional note), resume and trigger now, each confirmed in a dialog that shows the
 * answer or the error; the last "trigger now" answer stays, with its run. */
export function ScheduleActions({ schedule, onDone }: { schedule: Schedule; onDone: () => void }) {
  const [action, setAction] = useState<ScheduleAction | null>(null);
  const [note, setNote] = useState("");
  const [fired, setFired] = useState<ScheduleFired | null>(null);
  const dryRun = useCallback(
    async () => ({
      summary: action ? scheduleActionSummary(action, schedule, note) : "nothing to do",
      empty: action === null,
    }),
    [schedule, action, note],
  );
  const perform = useCallback(async () => {
    if (action === "pause") return pausedResult(await pauseSchedule(schedule.id, note));
    if (action === "resume") return pausedResult(await resumeSchedule(schedule.id));
    if (action === "trigger") {
      const answer = await triggerSchedule(schedule.id);
      setFired(answer);
      return triggeredResult(answer);
    }
    return "nothing done";
  }, [schedule, action, note]);
  return (
    <>
      <div className="actions">
        {!schedule.paused && (
          <input
            data-testid="schedule-pause-note"
            placeholder="pause note (optional)"
            aria-label="pause note"
            value={note}
            onChange={(ev) => setNote(ev.target.value)}
          />
        )}
        {SCHEDULE_ACTIONS.map((a) => (
          <button
            key={a}
            type="button"
            data-testid={`schedule-${a}`}
            disabled={!scheduleAllowed(a, schedule.paused)}
            onClick={() => setAction(a)}
          >
            {BUTTONS[a].label}
          </button>
        ))}
        {action && (
          <DryRunDialog
            title={BUTTONS[action].title}
            confirmLabel={BUTTONS[action].confirm}
            dryRun={dryRun}
            run={perform}
            onClose={(changed) => {
              setAction(null);
              if (changed) {
                setNote("");
                onDone();
              }
            }}
          />
        )}
      </div>
      {fired && (
        <p data-testid="schedule-fired" data-outcome={fired.outcome}>
          {triggeredResult(fired)}
          {fired.runId && (
            <>
              {" "}
              <Link to={`/runs/${encodeURIComponent(fired.runId)}`} data-testid="schedule-fired-run-link">
                open the run
              </Link>
            </>
          )}
        </p>
      )}
    </>
  );
}

import { useCallback, useState } from "react";
import { cancelRun, pauseRun, resumeRun, retryRun } from "../../api/runs";
import type { Run, RunChange } from "../../api/types";
import { DryRunDialog } from "../../components/DryRunDialog";
import type { RunAction } from "../../lib/runActions";
import { actionResult, actionSummary, allowed, RUN_ACTIONS } from "../../lib/runActions";

const CALLS: Record<RunAction, (runId: string) => Promise<RunChange>> = {
  cancel: cancelRun,
  retry: retryRun,
  pause: pauseRun,
  resume: resumeRun,
};

const BUTTONS: Record<RunAction, { label: string; title: string; confirm: string }> = {
  cancel: { label: "Cancel run…", title: "Cancel this run", confirm: "Cancel run" },
  retry: { label: "Retry run…", title: "Retry this run", confirm: "Retry" },
  pause: { label: "Pause run…", title: "Pause this run", confirm: "Pause run" },
  resume: { label: "Resume run…", title: "Resume this run", confirm: "Resume run" },
};

/** Cancel (a running, pending or paused run), retry (a failed one), pause (a running one) and resume
 * (a paused one), each confirmed in a dialog. */
export function RunActions({ run, onDone }: { run: Run; onDone: () => void }) {
  const [action, setAction] = useState<RunAction | null>(null);
  const dryRun = useCallback(
    async () => ({ summary: action ? actionSummary(action, run) : "nothing to do", empty: action === null }),
    [run, action],
  );
  const perform = useCallback(async () => {
    if (!action) return "nothing done";
    return actionResult(action, await CALLS[action](run.runId));
  }, [run, action]);
  return (
    <div className="actions">
      {RUN_ACTIONS.map((a) => (
        <button
          key={a}
          type="button"
          data-testid={`run-${a}`}
          disabled={!allowed(a, run.status)}
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
            if (changed) onDone();
          }}
        />
      )}
    </div>
  );
}

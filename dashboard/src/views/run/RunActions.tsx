import { useCallback, useState } from "react";
import { cancelRun, retryRun } from "../../api/runs";
import type { Run } from "../../api/types";
import { DryRunDialog } from "../../components/DryRunDialog";

type Action = "cancel" | "retry";

/** Cancel (a running or pending run) and retry (a failed one), each confirmed in a dialog. */
export function RunActions({ run, onDone }: { run: Run; onDone: () => void }) {
  const [action, setAction] = useState<Action | null>(null);
  const canCancel = run.status === "RUNNING" || run.status === "PENDING";
  const canRetry = run.status === "FAILED";
  const dryRun = useCallback(async () => {
    const steps = run.steps.filter((s) =>
      action === "retry"
        ? s.status !== "COMPLETED" && s.status !== "SKIPPED"
        : s.status === "RUNNING" || s.status === "PENDING",
    );
    const what = action === "retry" ? "run again" : "be withdrawn";
    return { summary: `1 run (${run.status}); ${steps.length} unfinished steps would ${what}`, empty: false };
  }, [run, action]);
  const perform = useCallback(async () => {
    await (action === "retry" ? retryRun(run.runId) : cancelRun(run.runId));
    return action === "retry" ? "Retry started." : "Run cancelled.";
  }, [run, action]);
  return (
    <div className="actions">
      <button
        type="button"
        data-testid="run-cancel"
        disabled={!canCancel}
        onClick={() => setAction("cancel")}
      >
        Cancel run…
      </button>
      <button type="button" data-testid="run-retry" disabled={!canRetry} onClick={() => setAction("retry")}>
        Retry run…
      </button>
      {action && (
        <DryRunDialog
          title={action === "retry" ? "Retry this run" : "Cancel this run"}
          confirmLabel={action === "retry" ? "Retry" : "Cancel run"}
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

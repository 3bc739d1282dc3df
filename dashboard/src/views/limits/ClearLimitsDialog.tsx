import { useCallback } from "react";
import { clearLimits } from "../../api/limits";
import type { ActionLimits } from "../../api/types";
import { DryRunDialog } from "../../components/DryRunDialog";
import { clearedResult, clearSummary, refusedText } from "../../lib/limits";

/** Clear an action's limits, after a dialog that says what it has and holds now (the row as the page
 * showed it when Clear… was pressed). */
export function ClearLimitsDialog({ l, onClose }: { l: ActionLimits; onClose: (changed: boolean) => void }) {
  const dryRun = useCallback(async () => ({ summary: clearSummary(l), empty: false }), [l]);
  const run = useCallback(async () => {
    try {
      await clearLimits(l.action);
    } catch (err) {
      throw new Error(refusedText("Not cleared", err));
    }
    return clearedResult(l.action);
  }, [l]);
  return (
    <DryRunDialog
      title={`Clear the limits of ${l.action}`}
      confirmLabel="Clear limits"
      dryRun={dryRun}
      run={run}
      onClose={onClose}
    />
  );
}

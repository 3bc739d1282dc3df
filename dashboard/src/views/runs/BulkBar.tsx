import { useCallback, useState } from "react";
import type { BulkTarget, BulkVerb } from "../../api/runs";
import { bulkAction } from "../../api/runs";
import type { DryRunOutcome } from "../../components/DryRunDialog";
import { DryRunDialog } from "../../components/DryRunDialog";
import { formatCount } from "../../lib/format";

type Action = BulkVerb;
const VERBS: Record<Action, { past: string; label: string }> = {
  cancel: { past: "cancelled", label: "Cancel" },
  retry: { past: "retried", label: "Retry" },
  pause: { past: "paused", label: "Pause" },
  resume: { past: "resumed", label: "Resume" },
};
const ACTIONS = Object.keys(VERBS) as Action[];

/** Cancel, retry, pause or resume the selected runs, or every run matching the filter: dry run, then
 * confirm. */
export function BulkBar({
  target,
  count,
  allMatching,
  onAllMatching,
  onDone,
}: {
  target: BulkTarget | null;
  count: number;
  allMatching: boolean;
  onAllMatching: (on: boolean) => void;
  onDone: () => void;
}) {
  const [action, setAction] = useState<Action | null>(null);
  const dryRun = useCallback(async (): Promise<DryRunOutcome> => {
    if (!target || !action) return { summary: "nothing selected", empty: true };
    const r = await bulkAction(action, target, true);
    return {
      summary:
        `${formatCount(r.matched)} runs match, ${formatCount(r.changed)} would be ${VERBS[action].past}` +
        (r.more ? " (more match than one action's limit; repeat it for the rest)" : ""),
      empty: r.changed === 0,
    };
  }, [target, action]);
  const run = useCallback(async () => {
    if (!target || !action) return "nothing done";
    const r = await bulkAction(action, target, false);
    return `${formatCount(r.changed)} of ${formatCount(r.matched)} runs ${VERBS[action].past}.`;
  }, [target, action]);
  return (
    <div className="bulk" data-testid="bulk-bar">
      <label>
        <input
          type="checkbox"
          data-testid="select-all-matching"
          checked={allMatching}
          onChange={(ev) => onAllMatching(ev.target.checked)}
        />
        All runs matching the filter
      </label>
      <span data-testid="selection-count">{allMatching ? "all matching" : `${count} selected`}</span>
      {ACTIONS.map((a) => (
        <button
          key={a}
          type="button"
          data-testid={`bulk-${a}`}
          disabled={!target}
          onClick={() => setAction(a)}
        >
          {VERBS[a].label}…
        </button>
      ))}
      {action && (
        <DryRunDialog
          title={`${VERBS[action].label} ${allMatching ? "all runs matching the filter" : `${count} selected runs`}`}
          confirmLabel={`${VERBS[action].label} runs`}
          dryRun={dryRun}
          run={run}
          onClose={(changed) => {
            setAction(null);
            if (changed) onDone();
          }}
        />
      )}
    </div>
  );
}

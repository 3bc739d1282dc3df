import { useEffect, useRef, useState } from "react";

export interface DryRunOutcome {
  /** What the action would do, e.g. "12 runs would be cancelled". */
  summary: string;
  /** Nothing would change: the confirm button stays disabled. */
  empty: boolean;
}

type State =
  | { step: "counting" }
  | { step: "ready"; outcome: DryRunOutcome }
  | { step: "running"; outcome: DryRunOutcome }
  | { step: "done"; message: string }
  | { step: "failed"; message: string };

/**
 * Every bulk or destructive action goes through here: the dry run's count first, then the real
 * action only on confirmation. Both functions are taken when the dialog opens, so the action
 * confirmed is the one that was counted, whatever re-renders the page goes through meanwhile.
 */
export function DryRunDialog({
  title,
  confirmLabel,
  dryRun,
  run,
  onClose,
}: {
  title: string;
  confirmLabel: string;
  dryRun: () => Promise<DryRunOutcome>;
  run: () => Promise<string>;
  onClose: (changed: boolean) => void;
}) {
  const [state, setState] = useState<State>({ step: "counting" });
  const actions = useRef({ dryRun, run });

  useEffect(() => {
    let live = true;
    actions.current.dryRun().then(
      (outcome) => live && setState({ step: "ready", outcome }),
      (err: unknown) =>
        live && setState({ step: "failed", message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, []);

  const confirm = () => {
    if (state.step !== "ready") return;
    setState({ step: "running", outcome: state.outcome });
    actions.current.run().then(
      (message) => setState({ step: "done", message }),
      (err: unknown) =>
        setState({ step: "failed", message: err instanceof Error ? err.message : String(err) }),
    );
  };

  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title} data-testid="dialog">
        <h3>{title}</h3>
        {state.step === "counting" && <p data-testid="dialog-counting">Dry run: counting…</p>}
        {(state.step === "ready" || state.step === "running") && (
          <p data-testid="dialog-dry-run-count">Dry run: {state.outcome.summary}.</p>
        )}
        {state.step === "done" && <p data-testid="dialog-result">{state.message}</p>}
        {state.step === "failed" && (
          <p className="bad" data-testid="dialog-error">
            {state.message}
          </p>
        )}
        <div className="actions">
          {(state.step === "ready" || state.step === "running") && (
            <button
              type="button"
              className="danger"
              data-testid="dialog-confirm"
              disabled={state.step === "running" || state.outcome.empty}
              onClick={confirm}
            >
              {confirmLabel}
            </button>
          )}
          <button type="button" data-testid="dialog-close" onClick={() => onClose(state.step === "done")}>
            {state.step === "done" || state.step === "failed" ? "Close" : "Cancel"}
          </button>
        </div>
      </div>
    </div>
  );
}

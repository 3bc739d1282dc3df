import { useState } from "react";
import type { FormEvent } from "react";
import { setLimits } from "../../api/limits";
import type { LimitDraft } from "../../lib/limits";
import { parseDraft, refusedText, savedResult } from "../../lib/limits";

type State =
  | { step: "idle" }
  | { step: "saving" }
  | { step: "saved"; message: string }
  | { step: "failed"; message: string };

const BOXES: { field: keyof LimitDraft; label: string; testId: string; number: boolean }[] = [
  { field: "action", label: "Action", testId: "limit-action", number: false },
  { field: "maxConcurrent", label: "Max concurrent", testId: "limit-max-concurrent-input", number: true },
  { field: "rateLimit", label: "Rate: jobs", testId: "limit-rate-limit-input", number: true },
  { field: "periodSeconds", label: "per seconds", testId: "limit-period-input", number: true },
];

/** Set an action's limits (a concurrency cap, a rate, or both; they replace the ones it had). The
 * API's answer, or its problem (a 422 names the field), stays under the form. */
export function LimitForm({ initial, onSaved }: { initial: LimitDraft; onSaved: () => void }) {
  const [draft, setDraft] = useState<LimitDraft>(initial);
  const [state, setState] = useState<State>({ step: "idle" });
  const parsed = parseDraft(draft);
  const touched = Object.values(draft).some((v) => v.trim() !== "");
  const save = (ev: FormEvent) => {
    ev.preventDefault();
    if (!parsed.ok || state.step === "saving") return;
    setState({ step: "saving" });
    setLimits(parsed.action, parsed.body).then(
      (answer) => {
        setState({ step: "saved", message: savedResult(answer) });
        onSaved();
      },
      (err: unknown) => setState({ step: "failed", message: refusedText("Not saved", err) }),
    );
  };
  return (
    <form className="filters" data-testid="limit-form" onSubmit={save} noValidate>
      {BOXES.map(({ field, label, testId, number }) => (
        <label key={field}>
          {label}
          <input
            type={number ? "number" : "text"}
            data-testid={testId}
            value={draft[field]}
            onChange={(ev) => setDraft({ ...draft, [field]: ev.target.value })}
          />
        </label>
      ))}
      <div className="filter-actions">
        <button
          type="submit"
          className="primary"
          data-testid="limit-save"
          disabled={!parsed.ok || state.step === "saving"}
        >
          {state.step === "saving" ? "Saving…" : "Set limits"}
        </button>
        {touched && !parsed.ok && (
          <span className="bad" data-testid="limit-draft-error">
            {parsed.error}
          </span>
        )}
        {state.step === "saved" && <span data-testid="limit-result">{state.message}</span>}
        {state.step === "failed" && (
          <span className="bad" data-testid="limit-error">
            {state.message}
          </span>
        )}
      </div>
    </form>
  );
}

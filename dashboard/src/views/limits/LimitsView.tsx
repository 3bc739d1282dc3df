import { useState } from "react";
import { listLimits } from "../../api/limits";
import type { ActionLimits } from "../../api/types";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import type { LimitDraft } from "../../lib/limits";
import { draftOf, EMPTY_DRAFT } from "../../lib/limits";
import { ClearLimitsDialog } from "./ClearLimitsDialog";
import { LimitForm } from "./LimitForm";
import { LimitsTable } from "./LimitsTable";

const POLL_MS = 2000;

/** Action limits, global across every worker and orchestrator: each action's concurrency cap and rate
 * with its jobs in flight, throttled and tokens now (live); a form to set an action's limits, and
 * Clear… per action. */
export function LimitsView() {
  const limits = useResource(listLimits, "limits", POLL_MS);
  // The form is keyed: Edit starts it again from that action's limits.
  const [form, setForm] = useState<{ draft: LimitDraft; n: number }>({ draft: EMPTY_DRAFT, n: 0 });
  const [clearing, setClearing] = useState<ActionLimits | null>(null);
  return (
    <section data-testid="limits-view">
      <h2>Limits</h2>
      {limits.error !== null && <Problem error={limits.error} what="Action limits" />}
      <LimitForm key={form.n} initial={form.draft} onSaved={limits.reload} />
      <LimitsTable
        limits={limits.data ?? []}
        onEdit={(l) => setForm((f) => ({ draft: draftOf(l), n: f.n + 1 }))}
        onClear={setClearing}
      />
      {limits.data && limits.data.length === 0 && (
        <p className="note" data-testid="limits-empty">
          No action has limits.
        </p>
      )}
      {clearing && (
        <ClearLimitsDialog
          l={clearing}
          onClose={(changed) => {
            setClearing(null);
            if (changed) limits.reload();
          }}
        />
      )}
    </section>
  );
}

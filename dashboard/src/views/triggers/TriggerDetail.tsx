import { useCallback, useState } from "react";
import { Link } from "react-router";
import type { Trigger } from "../../api/types";
import { getTrigger, pauseTrigger, resumeTrigger } from "../../api/triggers";
import { DryRunDialog } from "../../components/DryRunDialog";
import { PausedBadge } from "../../components/PausedBadge";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatCount, formatTime } from "../../lib/format";
import type { TriggerAction } from "../../lib/triggers";
import {
  lagText,
  templateText,
  TRIGGER_ACTIONS,
  triggerActionSummary,
  triggerAllowed,
  triggerResult,
} from "../../lib/triggers";
import { TriggerCounts } from "./TriggerCounts";

const POLL_MS = 5000;

/** One trigger: what it reads and starts, its consumer group and dead-letter topic, its input and
 * idempotency key templates, lag and counts (polled); pause and resume. */
export function TriggerDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const trigger = useResource(() => getTrigger(id), `trigger:${id}`, POLL_MS);
  if (trigger.error !== null && !trigger.data)
    return <Problem error={trigger.error} what={`Trigger ${id}`} />;
  const t = trigger.data;
  if (!t) return <p className="note">Loading…</p>;
  return (
    <div className="panel" data-testid="trigger-detail" data-trigger-id={t.id} data-paused={t.paused}>
      <h3>
        Trigger <span className="mono">{t.id}</span> <PausedBadge paused={t.paused} />{" "}
        <Link to={`/runs?triggerId=${encodeURIComponent(t.id)}`} data-testid="trigger-runs-link">
          runs
        </Link>
      </h3>
      {trigger.error !== null && <Problem error={trigger.error} what="Refresh" />}
      <dl className="facts">
        <dt>Topic</dt>
        <dd className="mono">
          {t.kafka.topic}{" "}
          <span className="dim">({t.kafka.fromBeginning ? "from the beginning" : "new records"})</span>
        </dd>
        <dt>Workflow</dt>
        <dd>
          <Link to={`/workflows/${encodeURIComponent(t.workflowId)}`}>{t.workflowId}</Link>
        </dd>
        <dt>Ordering</dt>
        <dd>{t.ordering === "perKey" ? "perKey (one run per record key at a time)" : "none"}</dd>
        <dt>Consumer group</dt>
        <dd className="mono" data-testid="trigger-group">
          {t.consumerGroup}
        </dd>
        <dt>Dead-letter topic</dt>
        <dd className="mono" data-testid="trigger-dlt">
          {t.deadLetterTopic}
        </dd>
        <dt>Input template</dt>
        <dd className="mono" data-testid="trigger-input-template">
          {templateText(t.input)}
        </dd>
        <dt>Idempotency key template</dt>
        <dd className="mono" data-testid="trigger-key-template">
          {t.idempotencyKey ?? <span className="dim">none (every record starts a run)</span>}
        </dd>
        <dt>Lag</dt>
        <dd data-testid="trigger-detail-lag" data-lag={t.lag ?? ""}>
          {lagText(t.lag)} <span className="dim">records not taken yet</span>
        </dd>
        {t.held != null && (
          <>
            <dt>Held</dt>
            <dd data-testid="trigger-detail-held" className="waiting">
              {t.held}
            </dd>
          </>
        )}
        <dt>Started / duplicates / dead-lettered</dt>
        <dd>
          <TriggerCounts t={t} />
        </dd>
        <dt>Queued</dt>
        <dd>
          {formatCount(t.queued)} <span className="dim">records waiting for their key&apos;s run</span>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(t.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(t.updatedAt)}</dd>
      </dl>
      <TriggerActions
        trigger={t}
        onDone={() => {
          trigger.reload();
          onChanged();
        }}
      />
    </div>
  );
}

const BUTTONS: Record<TriggerAction, { label: string; title: string; confirm: string }> = {
  pause: { label: "Pause…", title: "Pause this trigger", confirm: "Pause trigger" },
  resume: { label: "Resume…", title: "Resume this trigger", confirm: "Resume trigger" },
};

function TriggerActions({ trigger, onDone }: { trigger: Trigger; onDone: () => void }) {
  const [action, setAction] = useState<TriggerAction | null>(null);
  const dryRun = useCallback(
    async () => ({
      summary: action ? triggerActionSummary(action, trigger) : "nothing to do",
      empty: action === null,
    }),
    [trigger, action],
  );
  const perform = useCallback(async () => {
    if (!action) return "nothing done";
    return triggerResult(await (action === "pause" ? pauseTrigger : resumeTrigger)(trigger.id));
  }, [trigger, action]);
  return (
    <div className="actions">
      {TRIGGER_ACTIONS.map((a) => (
        <button
          key={a}
          type="button"
          data-testid={`trigger-${a}`}
          disabled={!triggerAllowed(a, trigger.paused)}
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

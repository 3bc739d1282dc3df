import { Link, useParams } from "react-router";
import type { Trigger } from "../../api/types";
import { listTriggers } from "../../api/triggers";
import { PausedBadge } from "../../components/PausedBadge";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatCount } from "../../lib/format";
import { lagText } from "../../lib/triggers";
import { TriggerCounts } from "./TriggerCounts";
import { TriggerDetail } from "./TriggerDetail";

const POLL_MS = 5000;

/** Kafka-topic triggers: the topic each reads, the workflow it starts, its consumer lag (live), and the
 * records it started runs for, found duplicates of, or dead-lettered; one trigger's detail below. */
export function TriggersView() {
  const { id } = useParams();
  const triggers = useResource(listTriggers, "triggers", POLL_MS);
  return (
    <section data-testid="triggers-view">
      <h2>Triggers</h2>
      {triggers.error !== null && <Problem error={triggers.error} what="Triggers" />}
      <table className="table" data-testid="triggers-table">
        <thead>
          <tr>
            <th>Trigger</th>
            <th>Topic</th>
            <th>Workflow</th>
            <th>Ordering</th>
            <th>State</th>
            <th>Lag</th>
            <th>Started / duplicates / dead-lettered</th>
            <th>Queued</th>
          </tr>
        </thead>
        <tbody>
          {(triggers.data ?? []).map((t) => (
            <TriggerRow key={t.id} t={t} selected={t.id === id} />
          ))}
        </tbody>
      </table>
      {triggers.data && triggers.data.length === 0 && (
        <p className="note" data-testid="triggers-empty">
          No trigger yet (<span className="mono">legato triggers create -f FILE.json</span>).
        </p>
      )}
      {id && <TriggerDetail key={id} id={id} onChanged={triggers.reload} />}
    </section>
  );
}

function TriggerRow({ t, selected }: { t: Trigger; selected: boolean }) {
  return (
    <tr
      data-testid="trigger-row"
      data-trigger-id={t.id}
      data-paused={t.paused}
      className={selected ? "selected" : undefined}
    >
      <td>
        <Link to={`/triggers/${encodeURIComponent(t.id)}`} data-testid="trigger-link">
          {t.id}
        </Link>
      </td>
      <td className="mono">{t.kafka.topic}</td>
      <td>
        <Link to={`/workflows/${encodeURIComponent(t.workflowId)}`}>{t.workflowId}</Link>
      </td>
      <td>{t.ordering}</td>
      <td>
        <PausedBadge paused={t.paused} />
      </td>
      <td data-testid="trigger-lag" data-lag={t.lag ?? ""}>
        {lagText(t.lag)}
      </td>
      <td data-testid="trigger-counts">
        <TriggerCounts t={t} />
      </td>
      <td data-testid="trigger-queued" data-count={t.queued}>
        {formatCount(t.queued)}
      </td>
    </tr>
  );
}

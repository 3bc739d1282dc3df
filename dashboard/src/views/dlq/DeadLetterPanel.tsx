import { useCallback, useState } from "react";
import { Link } from "react-router";
import { getDeadLetter, replayDeadLetters } from "../../api/operations";
import { DryRunDialog } from "../../components/DryRunDialog";
import { JsonValue } from "../../components/JsonValue";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatTime } from "../../lib/format";
import { headerRows, parseOverride, replaySummary } from "../../lib/deadLetters";

/** One dead letter: where it died, its record headers and payload; replay it, optionally with a new payload. */
export function DeadLetterPanel({ id, onReplayed }: { id: string; onReplayed: () => void }) {
  const record = useResource(() => getDeadLetter(id), id);
  const [override, setOverride] = useState("");
  const [open, setOpen] = useState(false);
  const parsed = parseOverride(override);
  const payload = parsed.ok ? parsed.value : undefined;
  const dryRun = useCallback(async () => {
    const r = await replayDeadLetters({ ids: [id] }, true, payload);
    return { summary: replaySummary(r, true), empty: r.matched === 0 };
  }, [id, payload]);
  const run = useCallback(
    async () => replaySummary(await replayDeadLetters({ ids: [id] }, false, payload), false),
    [id, payload],
  );
  if (record.error !== null && !record.data)
    return <Problem error={record.error} what={`Dead letter ${id}`} />;
  const d = record.data;
  if (!d) return <p className="note">Loading…</p>;
  return (
    <div className="panel" data-testid="dead-letter-panel" data-dead-letter-id={d.id}>
      <h3>
        Dead letter <span className="mono">{d.id}</span>
      </h3>
      <dl className="facts">
        <dt>Run</dt>
        <dd className="mono">
          <Link to={`/runs/${encodeURIComponent(d.runId)}`}>{d.runId}</Link>
        </dd>
        <dt>Step</dt>
        <dd>
          {d.stepId}
          {d.item !== null && d.item !== undefined ? ` [${d.item}]` : ""} (action {d.action}, attempt{" "}
          {d.attempt})
        </dd>
        <dt>Reason</dt>
        <dd>{d.reason ?? ""}</dd>
        <dt>Error</dt>
        <dd data-testid="dead-letter-error">
          {d.errorType ?? ""}: {d.errorMessage ?? ""}
        </dd>
        <dt>Dead at</dt>
        <dd>{formatTime(d.deadAt)}</dd>
        <dt>Replayed at</dt>
        <dd>{formatTime(d.replayedAt)}</dd>
      </dl>
      <h4>Headers</h4>
      <table className="table" data-testid="dead-letter-headers">
        <tbody>
          {headerRows(d.headers).map(([k, v], i) => (
            <tr key={`${k}:${i}`}>
              <td className="mono">{k}</td>
              <td className="mono">{v ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Payload</h4>
      <JsonValue value={d.payload} testId="dead-letter-payload" />
      <h4>Replay</h4>
      <label className="block">
        Payload override (JSON; empty: the original payload)
        <textarea
          data-testid="payload-override"
          rows={5}
          value={override}
          onChange={(ev) => setOverride(ev.target.value)}
        />
      </label>
      {!parsed.ok && (
        <p className="bad" data-testid="payload-override-error">
          {parsed.error}
        </p>
      )}
      <button type="button" data-testid="replay-one" disabled={!parsed.ok} onClick={() => setOpen(true)}>
        Replay…
      </button>
      {open && (
        <DryRunDialog
          title="Replay this dead letter"
          confirmLabel="Replay"
          dryRun={dryRun}
          run={run}
          onClose={(changed) => {
            setOpen(false);
            if (changed) {
              record.reload();
              onReplayed();
            }
          }}
        />
      )}
    </div>
  );
}

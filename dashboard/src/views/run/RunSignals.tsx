import { getSignals } from "../../api/runs";
import { JsonValue } from "../../components/JsonValue";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatTime } from "../../lib/format";

/** The signals a run received, oldest first: when, and which signal step consumed each. Polled while
 * the run is live, and read again whenever the run changed (`version`). */
export function RunSignals({ runId, live, version }: { runId: string; live: boolean; version: string }) {
  const signals = useResource(() => getSignals(runId), `${runId}|${version}`, live ? 3000 : null);
  if (signals.error !== null && !signals.data) return <Problem error={signals.error} what="Signals" />;
  if (!signals.data) return <p className="note">Loading…</p>;
  const list = signals.data.signals;
  return (
    <div data-testid="signals">
      {list.length === 0 ? (
        <p className="note" data-testid="signals-empty">
          No signal received yet.
        </p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Signal id</th>
              <th>Received</th>
              <th>Consumed</th>
              <th>By step</th>
              <th>Payload</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr
                key={s.signalId}
                data-testid="signal-row"
                data-signal-id={s.signalId}
                data-consumed={s.consumedAt !== null}
              >
                <td className="mono">{s.name}</td>
                <td className="mono">{s.signalId}</td>
                <td>{formatTime(s.receivedAt)}</td>
                <td>{s.consumedAt === null ? "not yet" : formatTime(s.consumedAt)}</td>
                <td className="mono" data-testid="signal-step">
                  {s.stepId ?? ""}
                </td>
                <td>
                  <JsonValue value={s.payload} limit={300} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {signals.data.more && (
        <p className="note" data-testid="signals-more">
          The first {list.length} signals are shown; the run received more.
        </p>
      )}
    </div>
  );
}

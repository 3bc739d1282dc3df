import { getWorkers } from "../api/operations";
import { Problem } from "../components/Problem";
import { useResource } from "../hooks/useResource";
import { languageOf } from "../lib/workers";
import { formatCount } from "../lib/format";

/** Live workers per action and language, consumer lag per action, actions with jobs but no worker. */
export function WorkersView() {
  const workers = useResource(getWorkers, "workers", 5000);
  const actions = Object.entries(workers.data?.actions ?? {});
  const orphans = workers.data?.noWorker ?? [];
  return (
    <section data-testid="workers-view">
      <h2>Workers</h2>
      {workers.error !== null && <Problem error={workers.error} what="Workers" />}
      {orphans.length > 0 && (
        <div className="note bad" data-testid="actions-without-workers">
          Actions with jobs but no live worker:{" "}
          {orphans.map((a) => (
            <span
              key={a.action}
              className="badge tone-bad"
              data-testid="orphan-action"
              data-action={a.action}
            >
              {a.action} ({formatCount(a.queuedJobs ?? a.lag ?? 0)} queued)
            </span>
          ))}
        </div>
      )}
      {workers.data?.lagError && (
        <p className="note bad" data-testid="lag-error">
          Lag unavailable: {workers.data.lagError}
        </p>
      )}
      <table className="table" data-testid="workers-table">
        <thead>
          <tr>
            <th>Action</th>
            <th>Group state</th>
            <th>Lag</th>
            <th>Languages</th>
            <th>Workers</th>
          </tr>
        </thead>
        <tbody>
          {actions.map(([action, a]) => {
            const langs = a.languages ?? [
              ...new Set(a.workers.map((w) => w.language ?? languageOf(w.clientId))),
            ];
            return (
              <tr
                key={action}
                data-testid="worker-action-row"
                data-action={action}
                data-workers={a.workers.length}
              >
                <td className="mono">{action}</td>
                <td>{a.state}</td>
                <td data-testid="worker-lag" data-lag={a.lag ?? ""}>
                  {formatCount(a.lag)}
                  {a.queuedJobs ? (
                    <span className="dim"> ({formatCount(a.queuedJobs)} jobs queued)</span>
                  ) : null}
                </td>
                <td>{langs.join(", ")}</td>
                <td>
                  {a.workers.length === 0 ? (
                    <span className="bad">none</span>
                  ) : (
                    <ul className="plain">
                      {a.workers.map((w) => (
                        <li key={w.clientId} className="mono" data-testid="worker-member">
                          {w.clientId} <span className="dim">{w.host}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {workers.data && actions.length === 0 && <p className="note">No live workers.</p>}
    </section>
  );
}

import { useState } from "react";
import { Link } from "react-router";
import { getEvents } from "../../api/runs";
import type { RunEvent } from "../../api/types";
import { JsonValue } from "../../components/JsonValue";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { childRunOf, describeEvent } from "../../lib/events";
import { formatTime } from "../../lib/format";

const PAGE = 100;

/** The run's history a page at a time (by event id), never all of it at once. Read again whenever
 * the run changed (`version`: its event stream, while live), so its last events always show. */
export function EventHistory({ runId, version }: { runId: string; version: string }) {
  const [starts, setStarts] = useState<number[]>([0]);
  const after = starts[starts.length - 1] ?? 0;
  const page = useResource(() => getEvents(runId, after, PAGE), `${runId}|${after}|${version}`);
  const events = page.data?.events ?? [];
  const lastId = events[events.length - 1]?.id;
  return (
    <div data-testid="events">
      {page.error !== null && <Problem error={page.error} what="Events" />}
      <table className="table events">
        <thead>
          <tr>
            <th>#</th>
            <th>At</th>
            <th>Type</th>
            <th>Step</th>
            <th>Attempt</th>
            <th>Data</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-testid="event-row" data-event-type={e.type}>
              <td>{e.id}</td>
              <td>{formatTime(e.at)}</td>
              <td>
                {e.type}
                <EventSummary event={e} />
              </td>
              <td className="mono">{e.stepId ?? ""}</td>
              <td>{e.attempt ?? ""}</td>
              <td>
                {e.data === null || e.data === undefined ? "" : <JsonValue value={e.data} limit={300} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="pager">
        <button
          type="button"
          data-testid="events-prev"
          disabled={starts.length < 2}
          onClick={() => setStarts((s) => s.slice(0, -1))}
        >
          ← Earlier
        </button>
        <span data-testid="events-page">page {starts.length}</span>
        <button
          type="button"
          data-testid="events-next"
          disabled={!page.data || page.data.last || lastId === undefined}
          onClick={() => lastId !== undefined && setStarts((s) => [...s, lastId])}
        >
          Later →
        </button>
      </div>
    </div>
  );
}

/** The plain-words line of a signal, child run or pause/resume event, with a link to the child run. */
function EventSummary({ event }: { event: RunEvent }) {
  const summary = describeEvent(event);
  if (summary === null) return null;
  const child = childRunOf(event);
  return (
    <div className="dim" data-testid="event-summary">
      {summary}
      {child !== null && (
        <>
          {" "}
          <Link to={`/runs/${encodeURIComponent(child)}`} className="mono" data-testid="event-child-link">
            {child}
          </Link>
        </>
      )}
    </div>
  );
}

import { Link, useParams } from "react-router";
import { listSchedules } from "../../api/schedules";
import type { Schedule } from "../../api/types";
import { PausedBadge } from "../../components/PausedBadge";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatTime } from "../../lib/format";
import { scheduleWhen } from "../../lib/schedules";
import { FireOutcome, FireRun } from "./Fire";
import { ScheduleDetail } from "./ScheduleDetail";

const POLL_MS = 5000;

/** Schedules by id: when each fires, its overlap policy, paused or not, the next fire and the last one;
 * one schedule's detail below the list. */
export function SchedulesView() {
  const { id } = useParams();
  const schedules = useResource(listSchedules, "schedules", POLL_MS);
  return (
    <section data-testid="schedules-view">
      <h2>Schedules</h2>
      {schedules.error !== null && <Problem error={schedules.error} what="Schedules" />}
      <table className="table" data-testid="schedules-table">
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Workflow</th>
            <th>When</th>
            <th>Overlap</th>
            <th>State</th>
            <th>Next fire</th>
            <th>Last fire</th>
          </tr>
        </thead>
        <tbody>
          {(schedules.data ?? []).map((s) => (
            <ScheduleRow key={s.id} s={s} selected={s.id === id} />
          ))}
        </tbody>
      </table>
      {schedules.data && schedules.data.length === 0 && (
        <p className="note" data-testid="schedules-empty">
          No schedule yet (<span className="mono">legato schedules create -f FILE.json</span>).
        </p>
      )}
      {id && <ScheduleDetail key={id} id={id} onChanged={schedules.reload} />}
    </section>
  );
}

function ScheduleRow({ s, selected }: { s: Schedule; selected: boolean }) {
  const last = s.lastFire;
  return (
    <tr
      data-testid="schedule-row"
      data-schedule-id={s.id}
      data-paused={s.paused}
      className={selected ? "selected" : undefined}
    >
      <td>
        <Link to={`/schedules/${encodeURIComponent(s.id)}`} data-testid="schedule-link">
          {s.id}
        </Link>
      </td>
      <td>
        <Link to={`/workflows/${encodeURIComponent(s.workflowId)}`}>{s.workflowId}</Link>
      </td>
      <td className="mono" data-testid="schedule-when">
        {scheduleWhen(s)}
      </td>
      <td>{s.overlap}</td>
      <td>
        <PausedBadge paused={s.paused} note={s.note} />
      </td>
      <td data-testid="schedule-next-fire">{formatTime(s.nextFireTimes[0])}</td>
      <td data-testid="schedule-last-fire" data-outcome={last?.outcome ?? ""}>
        {last ? (
          <>
            {formatTime(last.fireTime)} <FireOutcome outcome={last.outcome} />{" "}
            <FireRun fire={last} testId="schedule-last-run-link" />
          </>
        ) : (
          <span className="dim">never</span>
        )}
      </td>
    </tr>
  );
}

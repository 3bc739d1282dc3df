import { Link } from "react-router";
import { getSchedule } from "../../api/schedules";
import type { Schedule } from "../../api/types";
import { JsonValue } from "../../components/JsonValue";
import { PausedBadge } from "../../components/PausedBadge";
import { Problem } from "../../components/Problem";
import { useResource } from "../../hooks/useResource";
import { formatCount, formatSeconds, formatTime } from "../../lib/format";
import { scheduleWhen } from "../../lib/schedules";
import { BackfillForm } from "./BackfillForm";
import { FireOutcome, FireRun } from "./Fire";
import { ScheduleActions } from "./ScheduleActions";

const POLL_MS = 5000;

/** One schedule: every field, its next fire times, its recent fires and their runs; pause, resume,
 * trigger now and backfill. Polled (fires arrive, runs end). */
export function ScheduleDetail({ id, onChanged }: { id: string; onChanged: () => void }) {
  const schedule = useResource(() => getSchedule(id), `schedule:${id}`, POLL_MS);
  if (schedule.error !== null && !schedule.data)
    return <Problem error={schedule.error} what={`Schedule ${id}`} />;
  const s = schedule.data;
  if (!s) return <p className="note">Loading…</p>;
  const changed = () => {
    schedule.reload();
    onChanged();
  };
  return (
    <div className="panel" data-testid="schedule-detail" data-schedule-id={s.id} data-paused={s.paused}>
      <h3>
        Schedule <span className="mono">{s.id}</span> <PausedBadge paused={s.paused} note={s.note} />{" "}
        <Link to={`/runs?scheduleId=${encodeURIComponent(s.id)}`} data-testid="schedule-runs-link">
          runs
        </Link>
      </h3>
      {schedule.error !== null && <Problem error={schedule.error} what="Refresh" />}
      <ScheduleFacts s={s} />
      <ScheduleActions schedule={s} onDone={changed} />
      <div className="split">
        <div>
          <h4>Next fire times</h4>
          {s.nextFireTimes.length === 0 ? (
            <p className="note" data-testid="no-next-fire">
              None ({s.paused ? "paused" : "past its end"}).
            </p>
          ) : (
            <ol className="plain" data-testid="next-fire-times">
              {s.nextFireTimes.map((t) => (
                <li key={t} data-testid="next-fire-time">
                  {formatTime(t)}
                </li>
              ))}
            </ol>
          )}
        </div>
        <div>
          <h4>Input of each run</h4>
          <JsonValue value={s.input} testId="schedule-input" />
        </div>
      </div>
      <h4>Backfill</h4>
      <BackfillForm schedule={s} onDone={changed} />
      <h4>Recent fires</h4>
      <FireTable s={s} />
    </div>
  );
}

function ScheduleFacts({ s }: { s: Schedule }) {
  return (
    <dl className="facts">
      <dt>Workflow</dt>
      <dd>
        <Link to={`/workflows/${encodeURIComponent(s.workflowId)}`}>{s.workflowId}</Link>
      </dd>
      <dt>When</dt>
      <dd className="mono" data-testid="schedule-when">
        {scheduleWhen(s)}
      </dd>
      <dt>Between</dt>
      <dd>
        {s.startAt ? formatTime(s.startAt) : "no start"} – {s.endAt ? formatTime(s.endAt) : "no end"}
      </dd>
      <dt>Overlap</dt>
      <dd data-testid="schedule-overlap">{s.overlap}</dd>
      <dt>Catch-up window</dt>
      <dd>{formatSeconds(s.catchupWindowSeconds)}</dd>
      <dt>Jitter</dt>
      <dd>{s.jitterSeconds ? `up to ${formatSeconds(s.jitterSeconds)}` : "none"}</dd>
      <dt>Note</dt>
      <dd data-testid="schedule-note">{s.note ?? <span className="dim">none</span>}</dd>
      <dt>Missed fires</dt>
      <dd data-testid="schedule-missed" data-count={s.missedFires}>
        {formatCount(s.missedFires)} <span className="dim">(older than the catch-up window)</span>
      </dd>
      <dt>Buffered fires</dt>
      <dd data-testid="schedule-buffered" data-count={s.bufferedFires}>
        {formatCount(s.bufferedFires)}
      </dd>
      <dt>Created</dt>
      <dd>{formatTime(s.createdAt)}</dd>
      <dt>Updated</dt>
      <dd>{formatTime(s.updatedAt)}</dd>
    </dl>
  );
}

function FireTable({ s }: { s: Schedule }) {
  const fires = s.recentFires ?? [];
  if (fires.length === 0) {
    return (
      <p className="note" data-testid="fires-empty">
        No fire yet.
      </p>
    );
  }
  return (
    <table className="table" data-testid="schedule-fires">
      <thead>
        <tr>
          <th>Fire time</th>
          <th>Source</th>
          <th>Outcome</th>
          <th>Run</th>
          <th>Recorded</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {fires.map((f) => (
          <tr
            key={`${f.fireTime}|${f.recordedAt}|${f.source}`}
            data-testid="fire-row"
            data-source={f.source}
            data-outcome={f.outcome}
            data-run-id={f.runId ?? ""}
          >
            <td>{formatTime(f.fireTime)}</td>
            <td>{f.source}</td>
            <td>
              <FireOutcome outcome={f.outcome} />
            </td>
            <td>
              <FireRun fire={f} />
            </td>
            <td>{formatTime(f.recordedAt)}</td>
            <td data-testid="fire-message">{f.message ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

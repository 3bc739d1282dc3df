import { Link } from "react-router";
import type { ScheduleFire } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { outcomeTone } from "../../lib/schedules";

/** A fire's outcome as a badge (started, buffered, skipped, failed). */
export function FireOutcome({ outcome, testId = "fire-outcome" }: { outcome: string; testId?: string }) {
  return (
    <span className={`badge tone-${outcomeTone(outcome)}`} data-testid={testId} data-outcome={outcome}>
      {outcome}
    </span>
  );
}

/** The run a fire started, linked, with the run's status now; nothing when it started none. */
export function FireRun({ fire, testId = "fire-run-link" }: { fire: ScheduleFire; testId?: string }) {
  if (!fire.runId) return null;
  return (
    <>
      <Link to={`/runs/${encodeURIComponent(fire.runId)}`} className="mono" data-testid={testId}>
        {fire.runId}
      </Link>{" "}
      {fire.runStatus && <StatusBadge status={fire.runStatus} testId="fire-run-status" />}
    </>
  );
}

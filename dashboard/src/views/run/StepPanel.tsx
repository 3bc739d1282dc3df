import type { RunStep } from "../../api/types";
import { ErrorView } from "../../components/ErrorView";
import { JsonValue } from "../../components/JsonValue";
import { StatusBadge } from "../../components/StatusBadge";
import { durationBetween, formatDuration, formatTime } from "../../lib/format";

/** One step of a run: state, attempts, live attempt, map progress, input, output and error. */
export function StepPanel({ step }: { step: RunStep | undefined }) {
  if (!step) return <p className="note">This step has not started.</p>;
  const live = step.liveAttempt;
  return (
    <div className="panel" data-testid="step-panel" data-step-id={step.id}>
      <h3>
        Step <span className="mono">{step.id}</span> <StatusBadge status={step.status} testId="step-status" />
      </h3>
      <dl className="facts">
        <dt>Action</dt>
        <dd>{step.action ?? "(wait)"}</dd>
        <dt>Attempts</dt>
        <dd data-testid="step-attempts">{step.attempts}</dd>
        <dt>Started</dt>
        <dd>{formatTime(step.startedAt)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(step.endedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(durationBetween(step.startedAt, step.endedAt, Date.now()))}</dd>
        {step.wakeAt && (
          <>
            <dt>Wakes at</dt>
            <dd>{formatTime(step.wakeAt)}</dd>
          </>
        )}
        {step.items && (
          <>
            <dt>Items</dt>
            <dd data-testid="step-items">
              {step.items.completed} / {step.items.total}
            </dd>
          </>
        )}
        {live && (
          <>
            <dt>Live attempt</dt>
            <dd data-testid="step-live-attempt">
              {live.state}
              {live.workerId ? ` on ${live.workerId}` : ""}
              {live.heartbeatAt ? `, last heartbeat ${formatTime(live.heartbeatAt)}` : ""}
              {live.deadline ? `, ${live.deadline.kind} deadline ${formatTime(live.deadline.at)}` : ""}
            </dd>
          </>
        )}
      </dl>
      {live?.progress !== undefined && live.progress !== null && (
        <>
          <h4>Progress</h4>
          <JsonValue value={live.progress} testId="step-progress" />
        </>
      )}
      {step.error !== null && step.error !== undefined && (
        <>
          <h4>Error</h4>
          <ErrorView error={step.error} testId="step-error" />
        </>
      )}
      <h4>Input</h4>
      <JsonValue value={step.input} testId="step-input" />
      <h4>Output</h4>
      <JsonValue value={step.output} testId="step-output" />
    </div>
  );
}

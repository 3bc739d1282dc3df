import { Link } from "react-router";
import type { RunStep } from "../../api/types";
import { ErrorView } from "../../components/ErrorView";
import { JsonValue } from "../../components/JsonValue";
import { StatusBadge } from "../../components/StatusBadge";
import { WaitingFor } from "../../components/WaitingFor";
import { durationBetween, formatDuration, formatTime } from "../../lib/format";
import type { GraphNode } from "../../lib/graph";
import { runStepKind, workflowRef } from "../../lib/graph";
import { SignalForm } from "./SignalForm";

/** One step of a run: state, attempts, live attempt, map progress, input, output and error; a signal
 * step's signal (and a form to send it while it waits), a workflow step's child run. `node` is the
 * step in the definition, which names the signal or the child workflow if the run's step does not. */
export function StepPanel({
  runId,
  step,
  node,
  onSignalSent,
}: {
  runId: string;
  step: RunStep | undefined;
  node?: GraphNode;
  onSignalSent: () => void;
}) {
  if (!step) return <p className="note">This step has not started.</p>;
  const live = step.liveAttempt;
  const kind = runStepKind(step);
  const signal = step.signal?.name ?? node?.signal ?? null;
  const workflow = step.workflow ?? node?.workflow ?? null;
  return (
    <div className="panel" data-testid="step-panel" data-step-id={step.id}>
      <h3>
        Step <span className="mono">{step.id}</span> <StatusBadge status={step.status} testId="step-status" />
      </h3>
      <WaitingFor reason={step.waitingFor} testId="step-waiting-for" />
      <dl className="facts">
        {kind === "signal" ? (
          <>
            <dt>Signal</dt>
            <dd className="mono" data-testid="step-signal">
              {signal ?? "?"}
            </dd>
          </>
        ) : kind === "workflow" ? (
          <>
            <dt>Child workflow</dt>
            <dd>{workflow ? workflowRef({ id: workflow.id, version: workflow.version ?? null }) : "?"}</dd>
            <dt>Child run</dt>
            <dd className="mono">
              {step.childRunId ? (
                <Link to={`/runs/${encodeURIComponent(step.childRunId)}`} data-testid="child-link">
                  {step.childRunId}
                </Link>
              ) : (
                "not started"
              )}
            </dd>
          </>
        ) : (
          <>
            <dt>Action</dt>
            <dd>{step.action ?? "(wait)"}</dd>
          </>
        )}
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
            <dd data-testid="step-live-attempt" data-state={live.state}>
              {liveStateText(live.state)}
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
      {kind === "signal" && signal !== null && (
        <SignalForm
          key={`${runId}|${step.id}`}
          runId={runId}
          name={signal}
          waiting={step.status === "WAITING"}
          onSent={onSignalSent}
        />
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

/** A live attempt's state; a throttled one waits for a slot or a rate token of its action. */
function liveStateText(state: string): string {
  return state === "throttled" ? "throttled (held until its action has a free slot or rate token)" : state;
}

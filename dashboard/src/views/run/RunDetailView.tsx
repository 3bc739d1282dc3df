import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { getAttempts, getRun } from "../../api/runs";
import type { Run, RunStep } from "../../api/types";
import { getDefinition } from "../../api/workflows";
import { ErrorView } from "../../components/ErrorView";
import { JsonValue } from "../../components/JsonValue";
import { Problem } from "../../components/Problem";
import { StatusBadge } from "../../components/StatusBadge";
import { Timeline } from "../../components/Timeline";
import { WaitingFor } from "../../components/WaitingFor";
import { WorkflowGraph } from "../../components/WorkflowGraph";
import { useResource } from "../../hooks/useResource";
import { useRunStream } from "../../hooks/useRunStream";
import { definitionGraph, stepsOnlyGraph } from "../../lib/graph";
import { durationBetween, formatDuration, formatTime, priorityText } from "../../lib/format";
import { isActive } from "../../lib/status";
import { EventHistory } from "./EventHistory";
import { RunActions } from "./RunActions";
import { RunSignals } from "./RunSignals";
import { StepPanel } from "./StepPanel";

const POLL_MS = 2000;

/** One run: its graph with step states, the attempts timeline, a step's values, the history. */
export function RunDetailView() {
  const { runId = "" } = useParams();
  // Read again whenever its event stream says it changed, while it runs (useRunStream); a run that
  // ended is not followed (its page reloads after cancel/retry).
  const [active, setActive] = useState(true);
  const changed = useRunStream(runId, active, POLL_MS);
  const run = useResource(() => getRun(runId), `${runId}|${changed}`);
  const status = run.data?.status;
  useEffect(() => {
    if (status !== undefined) setActive(isActive(status));
  }, [status]);
  if (run.error !== null && !run.data) return <Problem error={run.error} what={`Run ${runId}`} />;
  if (!run.data) return <p className="note">Loading…</p>;
  // Keyed: another run (a parent or child link) starts with its own selection and history pages.
  return (
    <RunDetail
      key={run.data.runId}
      run={run.data}
      live={isActive(run.data.status)}
      changed={changed}
      reload={run.reload}
    />
  );
}

/** Step statuses that mean "this is where the run went wrong": shown first. */
const FAILED_STEP = new Set(["FAILED", "DEAD_LETTERED"]);

/** The step shown until one is picked: where the run went wrong, else where it waits, else the first. */
function firstShown(steps: RunStep[]): string | null {
  const step = steps.find((s) => FAILED_STEP.has(s.status)) ?? steps.find((s) => s.waitingFor) ?? steps[0];
  return step?.id ?? null;
}

function RunDetail({
  run,
  live,
  changed,
  reload,
}: {
  run: Run;
  live: boolean;
  changed: number;
  reload: () => void;
}) {
  const definition = useResource(
    () => getDefinition(run.workflowId, run.version),
    `${run.workflowId}@${run.version}`,
  );
  // Read again whenever the run changed (its event stream, while live).
  const attempts = useResource(
    () => getAttempts(run.runId),
    `${run.runId}|${run.updatedAt}|${run.status}|${changed}`,
  );
  const graph = useMemo(
    () => (definition.data ? definitionGraph(definition.data.steps) : stepsOnlyGraph(run.steps)),
    [definition.data, run.steps],
  );
  const steps = useMemo(() => new Map(run.steps.map((s) => [s.id, s])), [run.steps]);
  const [picked, setPicked] = useState<string | null>(null);
  const selected = picked ?? firstShown(run.steps);
  const hasSignals = graph.nodes.some((n) => n.kind === "signal");
  // Bumped by each signal sent from the page, so the list of signals is read again at once.
  const [signalsSent, setSignalsSent] = useState(0);
  return (
    <section data-testid="run-detail" data-run-id={run.runId} data-status={run.status}>
      <h2>
        Run <span className="mono">{run.runId}</span> <StatusBadge status={run.status} testId="run-status" />
        {live && (
          <span className="live" data-testid="live-indicator">
            live
          </span>
        )}
      </h2>
      <WaitingFor reason={run.waitingFor} testId="run-waiting-for" />
      <dl className="facts">
        <dt>Workflow</dt>
        <dd>
          <Link to={`/workflows/${encodeURIComponent(run.workflowId)}?version=${run.version}`}>
            {run.workflowId}
          </Link>{" "}
          v{run.version}
        </dd>
        {run.parentRunId && (
          <>
            <dt>Parent run</dt>
            <dd>
              <Link
                to={`/runs/${encodeURIComponent(run.parentRunId)}`}
                className="mono"
                data-testid="parent-link"
              >
                {run.parentRunId}
              </Link>
              {run.parentStepId && (
                <>
                  {" "}
                  (step <span className="mono">{run.parentStepId}</span>)
                </>
              )}
            </dd>
          </>
        )}
        {run.scheduleId && (
          <>
            <dt>Schedule</dt>
            <dd>
              <Link
                to={`/schedules/${encodeURIComponent(run.scheduleId)}`}
                className="mono"
                data-testid="run-schedule-link"
              >
                {run.scheduleId}
              </Link>{" "}
              <span data-testid="run-scheduled-at">(fire time {formatTime(run.scheduledAt)})</span>
            </dd>
          </>
        )}
        {run.triggerId && (
          <>
            <dt>Trigger</dt>
            <dd>
              <Link
                to={`/triggers/${encodeURIComponent(run.triggerId)}`}
                className="mono"
                data-testid="run-trigger-link"
              >
                {run.triggerId}
              </Link>
            </dd>
          </>
        )}
        <RunFlowControl run={run} />
        <dt>Created</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(run.endedAt)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(durationBetween(run.createdAt, run.endedAt, Date.now()))}</dd>
        <dt>Correlation id</dt>
        <dd className="mono">{run.correlationId ?? ""}</dd>
      </dl>
      <RunActions run={run} onDone={reload} />
      {run.error !== null && run.error !== undefined && <ErrorView error={run.error} testId="run-error" />}
      <div className="split">
        <div>
          <h3>Graph</h3>
          {definition.error !== null && <Problem error={definition.error} what="Definition" />}
          <WorkflowGraph graph={graph} steps={steps} selected={selected} onSelect={setPicked} />
        </div>
        <StepPanel
          runId={run.runId}
          step={selected ? steps.get(selected) : undefined}
          node={graph.nodes.find((n) => n.id === selected)}
          onSignalSent={() => {
            setSignalsSent((n) => n + 1);
            reload();
          }}
        />
      </div>
      {hasSignals && (
        <>
          <h3>Signals</h3>
          <RunSignals
            runId={run.runId}
            live={live}
            version={`${run.updatedAt}|${run.status}|${signalsSent}`}
          />
        </>
      )}
      <h3>Timeline</h3>
      {attempts.error !== null && !attempts.data && (
        <Problem error={attempts.error} what="Attempts timeline" />
      )}
      {attempts.data && (
        <Timeline
          attempts={attempts.data.attempts}
          waits={attempts.data.waits ?? []}
          runCreatedAt={run.createdAt}
          now={Date.now()}
        />
      )}
      <div className="split">
        <div>
          <h3>Run input</h3>
          <JsonValue value={run.input} testId="run-input" />
        </div>
        <div>
          <h3>Run output</h3>
          <JsonValue value={run.output} testId="run-output" />
        </div>
      </div>
      <h3>History</h3>
      <EventHistory runId={run.runId} version={`${run.updatedAt}|${run.status}|${changed}`} />
    </section>
  );
}

/** The run's priority and, when its workflow limits concurrency, its concurrency key. */
function RunFlowControl({ run }: { run: Run }) {
  return (
    <>
      <dt>Priority</dt>
      <dd data-testid="run-priority" data-priority={run.priority}>
        {priorityText(run.priority)}
      </dd>
      {run.concurrencyKey && (
        <>
          <dt>Concurrency key</dt>
          <dd className="mono" data-testid="run-concurrency-key">
            {run.concurrencyKey}
          </dd>
        </>
      )}
    </>
  );
}

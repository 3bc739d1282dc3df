import { getOverview } from "../api/operations";
import type { Percentiles } from "../api/types";
import { BarChart } from "../components/BarChart";
import { Problem } from "../components/Problem";
import { useResource } from "../hooks/useResource";
import { sum } from "../lib/chart";
import { formatCount, formatSeconds, formatTime } from "../lib/format";

/** The last hour: throughput per minute, step latency percentiles, failures. */
export function OverviewView() {
  const overview = useResource(() => getOverview("1h"), "overview", 10_000);
  const minutes = overview.data?.minutes ?? [];
  const series = (pick: (m: (typeof minutes)[number]) => number) =>
    minutes.map((m) => ({ label: formatTime(m.at).slice(11, 16), value: pick(m) ?? 0 }));
  return (
    <section data-testid="overview-view">
      <h2>Overview (last hour)</h2>
      {overview.error !== null && <Problem error={overview.error} what="Overview" />}
      {overview.data && (
        <>
          <div className="counts">
            <Figure
              label="runs started"
              value={sum(minutes.map((m) => m.runsStarted ?? 0))}
              testId="total-runs-started"
            />
            <Figure
              label="runs finished"
              value={sum(minutes.map((m) => m.runsFinished ?? 0))}
              testId="total-runs-finished"
            />
            <Figure
              label="steps completed"
              value={sum(minutes.map((m) => m.stepsCompleted ?? 0))}
              testId="total-steps-completed"
            />
            <Figure
              label="steps failed"
              value={sum(minutes.map((m) => m.stepsFailed ?? 0))}
              testId="total-steps-failed"
              tone="bad"
            />
          </div>
          <BarChart
            title="Runs started per minute"
            points={series((m) => m.runsStarted)}
            tone="active"
            testId="chart-runs-started"
          />
          <BarChart
            title="Runs finished per minute"
            points={series((m) => m.runsFinished)}
            tone="ok"
            testId="chart-runs-finished"
          />
          <BarChart
            title="Steps completed per minute"
            points={series((m) => m.stepsCompleted)}
            tone="ok"
            testId="chart-steps-completed"
          />
          <BarChart
            title="Steps failed per minute"
            points={series((m) => m.stepsFailed)}
            tone="bad"
            testId="chart-steps-failed"
          />
          <h3>Step latency</h3>
          <table className="table" data-testid="latency-table">
            <thead>
              <tr>
                <th />
                <th>p50</th>
                <th>p95</th>
                <th>p99</th>
              </tr>
            </thead>
            <tbody>
              <LatencyRow label="Execution" p={overview.data.latency?.executionSeconds} />
              <LatencyRow label="Queue" p={overview.data.latency?.queueSeconds} />
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function Figure({
  label,
  value,
  testId,
  tone = "neutral",
}: {
  label: string;
  value: number;
  testId: string;
  tone?: string;
}) {
  return (
    <div className={`count tone-${tone}`} data-testid={testId} data-count={value}>
      <span className="count-n">{formatCount(value)}</span>
      <span className="count-label">{label}</span>
    </div>
  );
}

function LatencyRow({ label, p }: { label: string; p: Percentiles | undefined }) {
  return (
    <tr data-testid="latency-row">
      <td>{label}</td>
      <td>{formatSeconds(p?.p50)}</td>
      <td>{formatSeconds(p?.p95)}</td>
      <td>{formatSeconds(p?.p99)}</td>
    </tr>
  );
}

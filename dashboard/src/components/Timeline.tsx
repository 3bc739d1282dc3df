import { useMemo } from "react";
import type { Attempt, StepWait } from "../api/types";
import { formatTime } from "../lib/format";
import { buildTimeline } from "../lib/timeline";

const PLOT_WIDTH = 760;
const LABEL_WIDTH = 180;
const LANE = 22;
const AXIS = 24;

/** Attempts on a time axis: pending (retry delay), queued, running; waits; open bars end "now". */
export function Timeline({
  attempts,
  waits,
  runCreatedAt,
  now,
}: {
  attempts: Attempt[];
  waits: StepWait[];
  runCreatedAt: string | null;
  now: number;
}) {
  const t = useMemo(
    () => buildTimeline(attempts, waits, runCreatedAt, { width: PLOT_WIDTH, now }),
    [attempts, waits, runCreatedAt, now],
  );
  if (t.bars.length === 0) return <p className="note">No attempts yet.</p>;
  const height = AXIS + t.lanes.length * LANE + 4;
  return (
    <div className="timeline-scroll">
      <svg
        className="timeline"
        data-testid="timeline"
        width={LABEL_WIDTH + PLOT_WIDTH + 20}
        height={height}
        role="img"
        aria-label="attempts timeline"
      >
        <g transform={`translate(${LABEL_WIDTH},0)`}>
          {t.ticks.map((tick) => (
            <g key={tick.x} transform={`translate(${tick.x},0)`}>
              <line className="tick" y1={AXIS - 6} y2={height} />
              <text className="tick-label" y={AXIS - 10}>
                {tick.label}
              </text>
            </g>
          ))}
        </g>
        {t.lanes.map((lane, i) => (
          <text
            key={lane.key}
            className="lane-label"
            x={4}
            y={AXIS + i * LANE + 15}
            data-testid="timeline-lane"
          >
            {lane.label.length > 26 ? `${lane.label.slice(0, 25)}…` : lane.label}
          </text>
        ))}
        <g transform={`translate(${LABEL_WIDTH},${AXIS})`}>
          {t.bars.map((bar) => (
            <rect
              key={bar.key}
              className={`bar phase-${bar.phase} state-${bar.state.toLowerCase()}`}
              data-testid="timeline-bar"
              data-phase={bar.phase}
              data-state={bar.state}
              data-attempt={bar.attempt}
              data-lane={t.lanes[bar.lane]?.key}
              x={bar.x}
              y={bar.lane * LANE + 3}
              width={bar.width}
              height={LANE - 6}
            >
              <title>{bar.title}</title>
            </rect>
          ))}
        </g>
      </svg>
      <p className="legend">
        From {formatTime(new Date(t.t0).toISOString())}. <span className="swatch phase-pending" /> retry delay{" "}
        <span className="swatch phase-queued" /> queued <span className="swatch phase-running" /> running{" "}
        <span className="swatch phase-wait" /> wait
        {t.hiddenLanes > 0 && ` · ${t.hiddenLanes} more lanes not drawn`}
      </p>
    </div>
  );
}

import { barChart } from "../lib/chart";

const WIDTH = 600;
const HEIGHT = 80;

export function BarChart({
  title,
  points,
  tone,
  testId,
}: {
  title: string;
  points: { label: string; value: number }[];
  tone: string;
  testId: string;
}) {
  const bars = barChart(points, WIDTH, HEIGHT);
  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <svg width={WIDTH} height={HEIGHT + 1} role="img" aria-label={title}>
        <line className="baseline" x1={0} x2={WIDTH} y1={HEIGHT} y2={HEIGHT} />
        {bars.map((b) => (
          <rect
            key={b.label}
            className={`chart-bar tone-${tone}`}
            x={b.x}
            y={b.y}
            width={b.width}
            height={b.height}
          >
            <title>{`${b.label}: ${b.value}`}</title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}

// Geometry of the small per-minute bar charts of the overview.

export interface ChartBar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
  label: string;
}

/** One bar per value, scaled so the largest fills `height`; an all-zero series draws flat. */
export function barChart(
  points: { label: string; value: number }[],
  width: number,
  height: number,
): ChartBar[] {
  if (points.length === 0) return [];
  const max = Math.max(1, ...points.map((p) => p.value));
  const slot = width / points.length;
  const barWidth = Math.max(1, slot - 1);
  return points.map((p, i) => {
    const h = (Math.max(0, p.value) / max) * height;
    return { x: i * slot, y: height - h, width: barWidth, height: h, value: p.value, label: p.label };
  });
}

export function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

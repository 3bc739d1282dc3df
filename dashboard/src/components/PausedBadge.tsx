/** A schedule's or trigger's state: "paused" (the note, if any, as its title) or "active". */
export function PausedBadge({
  paused,
  note,
  testId = "paused-state",
}: {
  paused: boolean;
  note?: string | null;
  testId?: string;
}) {
  return (
    <span
      className={`badge tone-${paused ? "paused" : "ok"}`}
      data-testid={testId}
      data-paused={paused}
      title={note ?? undefined}
    >
      {paused ? "paused" : "active"}
    </span>
  );
}

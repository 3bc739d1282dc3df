import { tone } from "../lib/status";

export function StatusBadge({ status, testId = "status-badge" }: { status: string; testId?: string }) {
  return (
    <span className={`badge tone-${tone(status)}`} data-testid={testId} data-status={status}>
      {status}
    </span>
  );
}

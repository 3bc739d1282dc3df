// Status names to the CSS class that colours them.

const TONES: Record<string, string> = {
  COMPLETED: "ok",
  SUCCEEDED: "ok",
  RUNNING: "active",
  DISPATCHED: "active",
  STARTED: "active",
  PENDING: "pending",
  QUEUED: "waiting",
  WAITING: "waiting",
  PAUSED: "paused",
  FAILED: "bad",
  DEAD: "bad",
  DEAD_LETTERED: "bad",
  SCHEDULED: "waiting",
  TIMED_OUT: "bad",
  CANCELLED: "muted",
  SKIPPED: "muted",
};

export function tone(status: string | null | undefined): string {
  return TONES[(status ?? "").toUpperCase()] ?? "neutral";
}

/** A run that has not ended: its page keeps polling (a paused run can be resumed from elsewhere). */
export function isActive(status: string | null | undefined): boolean {
  const s = (status ?? "").toUpperCase();
  return s === "RUNNING" || s === "PENDING" || s === "PAUSED";
}

import { get, post } from "./http";
import type { BackfillOverlap, BackfillResult, Schedule, ScheduleList, ScheduleFired } from "./types";

const path = (id: string, op = ""): string => `/schedules/${encodeURIComponent(id)}${op}`;

export async function listSchedules(): Promise<Schedule[]> {
  return (await get<ScheduleList>("/schedules")).schedules;
}

/** One schedule with its recent fires (newest first). */
export const getSchedule = (id: string): Promise<Schedule> => get<Schedule>(path(id));

/** Pause: no fire until resumed; `note` (optional) says why. */
export const pauseSchedule = (id: string, note: string): Promise<Schedule> =>
  post<Schedule>(path(id, "/pause"), note.trim() ? { note: note.trim() } : {});

/** Resume: fire times missed while paused are not caught up. */
export const resumeSchedule = (id: string): Promise<Schedule> => post<Schedule>(path(id, "/resume"));

/** One fire now, under the schedule's overlap policy. */
export const triggerSchedule = (id: string): Promise<ScheduleFired> =>
  post<ScheduleFired>(path(id, "/trigger"));

export interface Backfill {
  startAt: string;
  endAt: string;
  /** Empty: the schedule's own policy. */
  overlap: BackfillOverlap | "";
}

/** Every fire time in [startAt, endAt), at most 1000. */
export function backfillSchedule(id: string, b: Backfill): Promise<BackfillResult> {
  const body: Record<string, string> = { startAt: b.startAt, endAt: b.endAt };
  if (b.overlap) body.overlap = b.overlap;
  return post<BackfillResult>(path(id, "/backfill"), body);
}

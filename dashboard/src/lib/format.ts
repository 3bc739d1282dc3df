// How numbers, times and durations read on screen.

export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

/** 850 ms, 12.3 s, 4 min 05 s, 3 h 07 min, 2 d 4 h */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms > 0 && ms < 1) return "< 1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  if (s < 86_400)
    return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function formatSeconds(s: number | null | undefined): string {
  return s === null || s === undefined ? "–" : formatDuration(s * 1000);
}

export function durationBetween(from: string | null | undefined, to: string | null | undefined, now: number) {
  const a = parseTime(from);
  if (a === null) return null;
  return (parseTime(to) ?? now) - a;
}

/** 2024-05-01 14:03:07 in the browser's time zone (UTC with `utc`). */
export function formatTime(iso: string | null | undefined, utc = false): string {
  const ms = parseTime(iso);
  if (ms === null) return "–";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  const [y, mo, day, h, mi, s] = utc
    ? [
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        d.getUTCHours(),
        d.getUTCMinutes(),
        d.getUTCSeconds(),
      ]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${p(mo)}-${p(day)} ${p(h)}:${p(mi)}:${p(s)}`;
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return Math.round(n).toLocaleString("en-US");
}

/** A rate in [0, 1] as a percentage; rates given as 0-100 are taken as they are. */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return "–";
  const pct = rate <= 1 ? rate * 100 : rate;
  return `${pct < 10 ? pct.toFixed(1) : Math.round(pct)} %`;
}

/** A datetime-local input's value (local wall time) as an ISO 8601 instant, or "" when empty/invalid. */
export function localInputToIso(local: string): string {
  if (!local) return "";
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? "" : new Date(ms).toISOString();
}

/** An ISO instant as the value a datetime-local input shows (local wall time, minutes). */
export function isoToLocalInput(iso: string): string {
  const ms = parseTime(iso);
  if (ms === null) return "";
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

/** A run's priority, 1 (highest) to 5 (lowest). */
export function priorityText(priority: number | null | undefined): string {
  if (priority === null || priority === undefined) return "–";
  if (priority === 1) return "1 (highest)";
  if (priority === 5) return "5 (lowest)";
  return String(priority);
}

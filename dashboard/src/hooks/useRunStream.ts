import { useEffect, useState } from "react";
import { STREAM_EVENT_TYPES } from "../lib/events";

/** How long a burst of events (a page of history on connect, a fan-out) is gathered into one change. */
const GATHER_MS = 150;

/**
 * Follows a live run's event stream (`GET /workflow/run/{runId}/events/stream`, Server-Sent Events)
 * and answers a number that changes whenever the run's history grew, so the views keyed by it read
 * the run again: no polling while the stream is open. The stream ends by itself once the run has
 * ended (`end`); the browser's EventSource reconnects with Last-Event-ID after a dropped connection.
 * When the stream cannot be opened at all (an older server, a proxy that refuses it), the number
 * changes every `fallbackMs` instead, as the page's polling did.
 */
export function useRunStream(runId: string, live: boolean, fallbackMs: number): number {
  const [version, setVersion] = useState(0);
  const [broken, setBroken] = useState(false);

  useEffect(() => {
    if (!live || broken) return;
    const source = new EventSource(`/workflow/run/${encodeURIComponent(runId)}/events/stream`);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const changed = () => {
      if (timer !== null) return;
      timer = setTimeout(() => {
        timer = null;
        setVersion((v) => v + 1);
      }, GATHER_MS);
    };
    const heard = (e: MessageEvent) => {
      if (e.type === "end") source.close(); // or the browser would open it again
      changed();
    };
    // Each history event is sent under its type (EventSource has no catch-all listener).
    for (const name of STREAM_EVENT_TYPES) source.addEventListener(name, heard);
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setBroken(true);
    };
    return () => {
      source.close();
      if (timer !== null) clearTimeout(timer);
    };
  }, [runId, live, broken]);

  useEffect(() => {
    if (!live || !broken) return;
    const timer = setInterval(() => setVersion((v) => v + 1), fallbackMs);
    return () => clearInterval(timer);
  }, [live, broken, fallbackMs]);

  return version;
}

/**
 * A run's event stream (GET /workflow/run/{id}/events/stream, Server-Sent Events): its history
 * events in order, then the `end` message once the run is terminal. A stream that drops is
 * reopened with `Last-Event-ID` of the last event seen, after 0.5 s doubling to 5 s (reset by
 * any message); the run is never polled.
 */

import { type EventSourceMessage, createParser } from "eventsource-parser";
import { reconnectDelayMs } from "./backoff.js";
import type { RunEvent } from "./run.js";
import type { Transport } from "./transport.js";

/** The `end` message: the run's terminal status. */
export interface StreamEnd {
  runId: string;
  status: string;
}

export interface StreamOptions {
  after?: number;
  signal?: AbortSignal;
}

/** The run's events after `after`; returns the `end` message. */
export async function* runEvents(
  transport: Transport,
  runId: string,
  { after = 0, signal }: StreamOptions = {},
): AsyncGenerator<RunEvent, StreamEnd, undefined> {
  let lastId = after;
  for (let reconnects = 0; ;) {
    const response = await transport.stream({
      method: "GET",
      path: `/workflow/run/${encodeURIComponent(runId)}/events/stream`,
      headers: lastId > 0 ? { "Last-Event-ID": String(lastId) } : {},
      idempotent: true,
      signal,
    });
    for await (const message of messages(response)) {
      reconnects = 0;
      if (message.event === "end") return JSON.parse(message.data) as StreamEnd;
      const event = JSON.parse(message.data) as RunEvent;
      if (event.id <= lastId) continue; // already seen before a reconnect
      lastId = event.id;
      yield event;
    }
    signal?.throwIfAborted();
    await transport.config.sleep(reconnectDelayMs(reconnects), signal);
    reconnects += 1;
  }
}

/** The messages of one SSE response until it ends or drops (comments and `retry:` skipped). */
async function* messages(response: Response): AsyncGenerator<EventSourceMessage> {
  if (response.body === null) return;
  const parsed: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => parsed.push(message) });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      // a read error is a drop (or an abort: the caller checks its signal)
      const chunk = await reader.read().catch(() => undefined);
      if (chunk === undefined || chunk.done) return;
      parser.feed(chunk.value);
      yield* parsed.splice(0);
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

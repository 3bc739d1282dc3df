/**
 * Pulls messages one at a time from a consumer stream (paused mode), so the caller decides when
 * to take the next one. The stream's 'readable' listener stays attached for the stream's life:
 * @platformatic/kafka stops fetching while a stream is neither flowing nor read through
 * 'readable' (readableFlowing === null), which removing the listener would cause.
 */

import type { Readable } from "node:stream";

export class MessageReader<T> {
  private wake: (() => void) | undefined;

  constructor(private readonly stream: Readable) {
    const notify = (): void => {
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    };
    stream.on("readable", notify).on("end", notify).on("close", notify);
  }

  /** The next message, or undefined once the stream ended or `signal` aborted. */
  async next(signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal.aborted || this.stream.destroyed || this.stream.readableEnded) return undefined;
      const message = this.stream.read() as T | null;
      if (message !== null) return message;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}

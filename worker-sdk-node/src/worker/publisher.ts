/**
 * Sends results and dead letters through one idempotent producer. Records that arrive within
 * `lingerMs`, or while the previous request is in flight, go out together in one request; only
 * one request is in flight at a time (the idempotent producer's sequence numbers stay ordered).
 * `publish()` resolves once Kafka acknowledged the record. A failed request is retried with a
 * fresh producer (new producer id) until it succeeds or the publisher is closed.
 */

import type { MessageToProduce } from "@platformatic/kafka";
import type { Logger } from "../logging.js";
import type { RawProducer } from "./kafka.js";

export type OutgoingMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

interface Pending {
  message: OutgoingMessage;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MAX_BATCH = 5_000;
const MAX_BACKOFF_MS = 5_000;

export class PublisherClosedError extends Error {
  override name = "PublisherClosedError";
}

export class Publisher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private producer: RawProducer;
  private readonly closing = new AbortController();

  constructor(
    private readonly createProducer: () => RawProducer,
    private readonly logger: Logger,
    private readonly lingerMs = 2,
  ) {
    this.producer = createProducer();
  }

  publish(message: OutgoingMessage): Promise<void> {
    if (this.closing.signal.aborted) {
      return Promise.reject(new PublisherClosedError("the producer is closed"));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  /** Sends what is queued and waits (at most `timeoutMs`) until it is acknowledged; then closes. */
  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.flush();
    while (this.sending !== undefined && Date.now() < deadline) {
      await Promise.race([this.sending, delay(deadline - Date.now())]);
    }
    this.closing.abort();
    await this.sending;
    for (const pending of this.queue.splice(0)) {
      pending.reject(new PublisherClosedError("the producer closed before sending"));
    }
    await this.producer.close();
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sending !== undefined || this.queue.length === 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.sending = this.send(batch).finally(() => {
      this.sending = undefined;
      this.flush();
    });
  }

  private async send(batch: Pending[]): Promise<void> {
    const messages = batch.map((pending) => pending.message);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer.send({ messages });
        for (const pending of batch) pending.resolve();
        return;
      } catch (error) {
        if (this.closing.signal.aborted) {
          for (const pending of batch) pending.reject(error as Error);
          return;
        }
        const wait = Math.min(100 * 2 ** (attempt - 1), MAX_BACKOFF_MS);
        this.logger.warning("produce failed; retrying with a new producer", {
          attempt,
          delayMs: wait,
          error,
        });
        await this.replaceProducer();
        await delay(wait, this.closing.signal);
      }
    }
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    await old.close().catch(() => undefined);
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

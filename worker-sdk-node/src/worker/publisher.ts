/**
 * Sends results and dead letters through one idempotent producer. Records that arrive in the same
 * turn of the event loop (or within `lingerMs`, when given), or while the previous request is in
 * flight, go out together in one request (at most MAX_BATCH records and about MAX_BATCH_BYTES
 * bytes); only one request is in flight at a time (the idempotent producer's sequence numbers stay
 * ordered). `publish()` resolves once Kafka acknowledged the record.
 *
 * A failed request never stalls the others and never makes anything re-run: each of its records
 * is re-sent on its own schedule (100 ms doubling, at most 5 s) while new records keep flowing.
 * A record Kafka refuses as too large is rejected with RecordTooLargeError (the caller sends a
 * small FAILED result instead). An authorization, authentication or fencing error is fatal:
 * every pending record is rejected and `onFatal` is called once.
 */

import { performance } from "node:perf_hooks";
import type { MessageToProduce } from "@platformatic/kafka";
import { WorkerFatalError } from "../errors.js";
import { type Logger, withoutLogFields } from "../logging.js";
import { ThrottledWarning, backoffMs, delay } from "./backoff.js";
import type { RawProducer } from "./kafka.js";
import { isFatalKafkaError, isTooLarge, needsNewProducer } from "./kafka-errors.js";

export type OutgoingMessage = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

interface Pending {
  message: OutgoingMessage;
  bytes: number;
  attempt: number;
  /** Sent in a request of its own (after a batch was refused as too large). */
  alone: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

const MAX_BATCH = 5_000;
const MAX_BATCH_BYTES = 900_000;

export class PublisherClosedError extends Error {
  override name = "PublisherClosedError";
}

/** Kafka refused this one record as too large (broker or topic max.message.bytes). */
export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
}

function sizeOf(message: OutgoingMessage): number {
  let bytes = (message.key?.length ?? 0) + (message.value?.length ?? 0) + 64;
  for (const [name, value] of message.headers instanceof Map ? message.headers : []) {
    bytes += name.length + value.length;
  }
  return bytes;
}

export class Publisher {
  private queue: Pending[] = [];
  private readonly waiting = new Set<Pending>();
  private timer: { cancel(): void } | undefined;
  private sending: Promise<void> | undefined;
  private producer: RawProducer;
  private fatal: WorkerFatalError | undefined;
  private readonly closing = new AbortController();
  private readonly warnings: ThrottledWarning;

  constructor(
    private readonly createProducer: () => RawProducer,
    private readonly logger: Logger,
    private readonly onFatal: (error: WorkerFatalError) => void = () => undefined,
    private readonly lingerMs = 0,
  ) {
    this.producer = createProducer();
    this.warnings = new ThrottledWarning(logger);
  }

  publish(message: OutgoingMessage): Promise<void> {
    if (this.fatal !== undefined) return Promise.reject(this.fatal);
    if (this.closing.signal.aborted) {
      return Promise.reject(new PublisherClosedError("the producer is closed"));
    }
    return new Promise((resolve, reject) => {
      this.enqueue({ message, bytes: sizeOf(message), attempt: 0, alone: false, resolve, reject });
    });
  }

  /** Records queued, in flight or waiting for a re-send. */
  pendingCount(): number {
    return this.queue.length + this.waiting.size;
  }

  /** Sends what is queued and waits (at most `timeoutMs`) until it is acknowledged; then closes. */
  async close(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    this.flush();
    while (this.pendingCount() > 0 && this.fatal === undefined && performance.now() < deadline) {
      await Promise.race([this.sending ?? delay(20), delay(deadline - performance.now())]);
      this.flush();
    }
    this.closing.abort();
    await this.sending;
    this.rejectAll(new PublisherClosedError("the producer closed before sending"));
    await this.producer.close().catch(() => undefined);
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    // The batch is every job's: its timer (and the sends and warnings it leads to) carry no
    // one job's log fields.
    this.timer ??= withoutLogFields(() => this.flushSoon());
  }

  /** No linger by default: a lone result is sent once this turn of the event loop ends, with
   * every other result finished in it (docs/protocol.md, "Worker behaviour", item 1). */
  private flushSoon(): { cancel(): void } {
    if (this.lingerMs > 0) {
      const timeout = setTimeout(() => this.flush(), this.lingerMs);
      return { cancel: () => clearTimeout(timeout) };
    }
    const immediate = setImmediate(() => this.flush());
    return { cancel: () => clearImmediate(immediate) };
  }

  private flush(): void {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.sending !== undefined || this.queue.length === 0) return;
    const batch = this.takeBatch();
    this.sending = this.send(batch).finally(() => {
      this.sending = undefined;
      this.flush();
    });
  }

  private takeBatch(): Pending[] {
    const first = this.queue[0] as Pending;
    if (first.alone) return this.queue.splice(0, 1);
    let count = 0;
    let bytes = 0;
    for (const pending of this.queue) {
      if (pending.alone || count >= MAX_BATCH) break;
      if (count > 0 && bytes + pending.bytes > MAX_BATCH_BYTES) break;
      count++;
      bytes += pending.bytes;
    }
    return this.queue.splice(0, count);
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      await this.producer.send({ messages: batch.map((pending) => pending.message) });
      for (const pending of batch) pending.resolve();
      if (batch.some((pending) => pending.attempt > 0)) this.warnings.reset();
      return;
    } catch (error) {
      await this.failed(batch, error);
    }
  }

  private async failed(batch: Pending[], error: unknown): Promise<void> {
    if (this.closing.signal.aborted) {
      for (const pending of batch) pending.reject(asError(error));
      return;
    }
    if (isFatalKafkaError(error)) {
      this.fatal ??= new WorkerFatalError(
        `the producer failed permanently (${describe(error)}); the worker stops`,
        { cause: error },
      );
      for (const pending of batch) pending.reject(this.fatal);
      this.rejectAll(this.fatal);
      this.onFatal(this.fatal);
      return;
    }
    if (isTooLarge(error)) {
      if (batch.length === 1) {
        (batch[0] as Pending).reject(new RecordTooLargeError(describe(error), { cause: error }));
        return;
      }
      // Find the culprit: every record of the batch goes again in a request of its own.
      for (const pending of batch) pending.alone = true;
      this.queue.unshift(...batch);
      return;
    }
    if (needsNewProducer(error)) await this.replaceProducer();
    this.warnings.warn("produce failed; re-sending the records with backoff", {
      records: batch.length,
      error: asError(error),
    });
    for (const pending of batch) this.retryLater(pending);
  }

  private retryLater(pending: Pending): void {
    pending.attempt++;
    this.waiting.add(pending);
    void delay(backoffMs(pending.attempt), this.closing.signal).then(() => {
      if (!this.waiting.delete(pending)) return;
      if (this.fatal !== undefined) pending.reject(this.fatal);
      else if (this.closing.signal.aborted) {
        pending.reject(new PublisherClosedError("the producer closed before sending"));
      } else this.enqueue(pending);
    });
  }

  private rejectAll(error: Error): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const pending of this.waiting) pending.reject(error);
    this.waiting.clear();
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    await old.close().catch(() => undefined);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function describe(error: unknown): string {
  const parts: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (!(e instanceof Error) || depth > 4) return;
    const id = (e as { apiId?: unknown }).apiId;
    parts.push(typeof id === "string" ? `${id}: ${e.message}` : e.message);
    if (e instanceof AggregateError) for (const nested of e.errors) visit(nested, depth + 1);
  };
  visit(error, 0);
  return parts.join("; ") || String(error);
}

/**
 * Guards a @platformatic/kafka 1.x client against a cluster view it would crash on (issue 26).
 *
 * A single KRaft broker that is shutting down (or starting) is fenced and still answers Metadata,
 * listing no broker at all. @platformatic/kafka 1.35 caches that answer and looks the partition
 * leader or the group coordinator up in it: `ConnectionPool.get(undefined)` then throws
 * `TypeError: Cannot read properties of undefined (reading 'host')` inside a socket callback, an
 * uncaught exception that kills the worker. A subscribed topic missing from the answer makes the
 * group leader's assignment throw the same way ('partitionsCount').
 *
 * Upstream fixed both in 2.3.1 (platformatic/kafka#319, #320), in the 2.x line only, which needs
 * Node.js >= 22.22 (it calls `Promise.withResolvers`, absent from Node 20). Until the SDK moves to
 * Node 22 and 2.x, each client the worker creates gets the same two checks, on that client alone
 * (nothing process-wide, no uncaughtException handler):
 * - a Metadata answer that lists no broker, or lacks a topic that was asked for, is dropped from
 *   the client's cache and reported as a retriable NetworkError with `hasStaleMetadata` (the
 *   next request asks the cluster again);
 * - a connection asked for a broker the metadata does not know (a leader or coordinator missing
 *   from a partial answer) fails with that same error instead of throwing.
 * Callers already treat a retriable error as transient: the publisher re-sends with backoff, a
 * broken consumer session is replaced, the control reader retries.
 */

import {
  type Base,
  type Broker,
  type CallbackWithPromise,
  type ClusterMetadata,
  type ConnectionPool,
  type MetadataOptions,
  NetworkError,
  kMetadata,
} from "@platformatic/kafka";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client: options and events differ
type AnyClient = Base<any, any>;
type MetadataMethod = (
  options: MetadataOptions,
  callback: CallbackWithPromise<ClusterMetadata>,
) => void;
type PoolGet = ConnectionPool["get"];

function staleMetadata(reason: string, properties: Record<string, unknown> = {}): NetworkError {
  return new NetworkError(`stale cluster metadata: ${reason}`, {
    canRetry: true,
    hasStaleMetadata: true,
    ...properties,
  });
}

/** Why `metadata` cannot be used for `options`, or undefined when it can. */
export function unusableMetadata(
  options: MetadataOptions,
  metadata: ClusterMetadata | undefined,
): string | undefined {
  if (metadata === undefined) return "the answer is empty";
  if (metadata.brokers.size === 0) return "the answer lists no broker (a fenced broker?)";
  const missing = (options.topics ?? []).find((topic) => metadata.topics.get(topic) === undefined);
  return missing === undefined ? undefined : `the answer lacks topic "${missing}"`;
}

function guardMetadata(client: AnyClient): void {
  const original = (client as unknown as Record<symbol, unknown>)[kMetadata];
  if (typeof original !== "function") {
    throw new TypeError("@platformatic/kafka: the client has no metadata method to guard");
  }
  const ask = (original as MetadataMethod).bind(client);
  const guarded: MetadataMethod = (options, callback) => {
    ask(options, (error, metadata) => {
      const reason = error == null ? unusableMetadata(options, metadata) : undefined;
      if (reason === undefined) {
        callback(error, metadata);
        return;
      }
      client.clearMetadata();
      callback(staleMetadata(reason));
    });
  };
  Object.defineProperty(client, kMetadata, { value: guarded, configurable: true, writable: true });
}

function guardConnections(pool: ConnectionPool): void {
  const get = pool.get.bind(pool) as (
    broker: Broker,
    callback?: CallbackWithPromise<unknown>,
  ) => Promise<unknown> | undefined;
  const guarded = (broker: Broker | undefined, callback?: CallbackWithPromise<unknown>) => {
    if (broker?.host != null && broker.port != null) return get(broker, callback);
    const error = staleMetadata("no such broker in the cluster metadata", { broker });
    if (callback === undefined) return Promise.reject(error);
    callback(error);
    return undefined;
  };
  Object.defineProperty(pool, "get", { value: guarded as PoolGet, configurable: true });
}

/** Installs both checks on `client` (a Producer, Consumer or Admin) and returns it. */
export function guardStaleMetadata<T extends AnyClient>(client: T): T {
  guardMetadata(client);
  guardConnections(client.connections);
  return client;
}

package dev.legato.worker.internal.observe;

import java.net.InetSocketAddress;

/**
 * What the worker counts (docs/observability.md, "Worker SDKs"): handlers starting and ending, jobs
 * skipped. {@link #NONE} when metrics are off, so no metrics library is loaded. Thread-safe.
 */
public interface WorkerMetrics extends AutoCloseable {
  /** A handler of {@code action} starts on this thread. */
  void handlerStarted(String action);

  /** The handler {@link #handlerStarted started} has ended after {@code nanos}. */
  void handlerFinished(String action, boolean failed, long nanos);

  /** A job of {@code action} was skipped (withdrawn, or its start-by time passed). */
  void skipped(String action);

  /** Records in {@code action}'s assigned partitions that this worker has not fetched yet. */
  default void recordsBehind(String action, long records) {}

  /** {@code action}'s consumer became stalled (true) or fetches again (false). */
  default void stalled(String action, boolean stalled) {}

  /** Where the metrics are served, or null when off. */
  InetSocketAddress address();

  /** Stops serving. */
  @Override
  void close();

  /** Metrics off. */
  WorkerMetrics NONE =
      new WorkerMetrics() {
        @Override
        public void handlerStarted(String action) {}

        @Override
        public void handlerFinished(String action, boolean failed, long nanos) {}

        @Override
        public void skipped(String action) {}

        @Override
        public InetSocketAddress address() {
          return null;
        }

        @Override
        public void close() {}
      };
}

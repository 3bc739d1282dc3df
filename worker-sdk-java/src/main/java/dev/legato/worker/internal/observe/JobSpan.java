package dev.legato.worker.internal.observe;

import dev.legato.protocol.Result;
import java.util.Map;

/** One attempt's {@code process} span, or {@link #NONE}. */
public interface JobSpan {
  /**
   * The trace context headers ({@code traceparent}, {@code tracestate} when any) of the records
   * written about the attempt; empty when not tracing.
   */
  Map<String, String> headers();

  /** The {@code traceparent} of this span for the result's field; null when not tracing. */
  String traceparent();

  /** The trace id (32 hex digits) for log lines; null when not tracing. */
  String traceId();

  /** The span id (16 hex digits) for log lines; null when not tracing. */
  String spanId();

  /** Makes the span the current one on this thread until the returned scope is closed. */
  Entered enter();

  /** Ends the span with the attempt's result (null: the worker failed to make one). */
  void end(Result result);

  /** A span made current; closing restores the previous context. */
  interface Entered extends AutoCloseable {
    @Override
    void close();
  }

  /** No span. */
  JobSpan NONE =
      new JobSpan() {
        @Override
        public Map<String, String> headers() {
          return Map.of();
        }

        @Override
        public String traceparent() {
          return null;
        }

        @Override
        public String traceId() {
          return null;
        }

        @Override
        public String spanId() {
          return null;
        }

        @Override
        public Entered enter() {
          return () -> {};
        }

        @Override
        public void end(Result result) {}
      };
}

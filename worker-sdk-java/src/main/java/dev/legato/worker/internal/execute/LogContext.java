package dev.legato.worker.internal.execute;

import dev.legato.protocol.Job;
import dev.legato.worker.internal.observe.JobSpan;
import org.slf4j.MDC;

/**
 * The SLF4J MDC keys of a running handler's log lines (docs/observability.md, "Logs"): {@code
 * run_id}, {@code job_id}, and {@code trace_id}, {@code span_id} when tracing; set on the handler's
 * thread while it runs, removed after.
 */
final class LogContext implements AutoCloseable {
  static final String TRACE_ID = "trace_id";
  static final String SPAN_ID = "span_id";
  static final String RUN_ID = "run_id";
  static final String JOB_ID = "job_id";

  private LogContext() {}

  static LogContext enter(Job job, JobSpan span) {
    MDC.put(RUN_ID, job.getRunId());
    MDC.put(JOB_ID, job.getJobId());
    if (span.traceId() != null) {
      MDC.put(TRACE_ID, span.traceId());
      MDC.put(SPAN_ID, span.spanId());
    }
    return new LogContext();
  }

  @Override
  public void close() {
    MDC.remove(RUN_ID);
    MDC.remove(JOB_ID);
    MDC.remove(TRACE_ID);
    MDC.remove(SPAN_ID);
  }
}

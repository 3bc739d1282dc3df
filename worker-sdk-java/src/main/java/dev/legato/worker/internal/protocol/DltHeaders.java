package dev.legato.worker.internal.protocol;

/** Kafka header names on dead letters (values are UTF-8 strings). */
public final class DltHeaders {
  public static final String DLT_REASON = "legato-dlt-reason";
  public static final String ERROR_TYPE = "legato-error-type";
  public static final String ERROR_MESSAGE = "legato-error-message";
  public static final String SOURCE_TOPIC = "legato-source-topic";
  public static final String SOURCE_PARTITION = "legato-source-partition";
  public static final String SOURCE_OFFSET = "legato-source-offset";
  public static final String WORKER_ID = "legato-worker-id";
  public static final String FAILED_AT = "legato-failed-at";

  public static final String REASON_UNDECODABLE = "undecodable";
  public static final String DECODE_ERROR = "DecodeError";

  private DltHeaders() {}
}

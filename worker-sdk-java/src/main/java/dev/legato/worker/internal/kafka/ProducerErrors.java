package dev.legato.worker.internal.kafka;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/** Which producer errors a worker rides out and which stop it. */
public final class ProducerErrors {
  private ProducerErrors() {}

  /**
   * Errors no retry can fix: authentication or authorization failures, a fenced producer, a broker
   * that does not speak the protocol, an invalid topic or record, or a producer in a fatal state
   * (which then throws IllegalStateException). Anything else (timeouts, unavailable brokers or
   * leaders, ...) is transient.
   */
  public static boolean isFatal(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof AuthenticationException
          || e instanceof AuthorizationException
          || e instanceof ProducerFencedException
          || e instanceof UnsupportedVersionException
          || e instanceof InvalidTopicException
          || e instanceof InvalidRecordException
          || e instanceof IllegalStateException) {
        return true;
      }
    }
    return false;
  }

  /** The record is over the producer's, the broker's or the topic's size limit. */
  public static boolean isTooLarge(Throwable error) {
    for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof RecordTooLargeException) {
        return true;
      }
    }
    return false;
  }
}

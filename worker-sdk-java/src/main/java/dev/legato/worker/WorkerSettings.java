package dev.legato.worker;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A worker's configuration. {@link #fromEnv()} reads the {@code LEGATO_*} variables, with the same
 * names and defaults in every Legato SDK (see docs/protocol.md, "Configuration"). Immutable; use
 * {@link #toBuilder()} to change a field.
 */
public final class WorkerSettings {
  public static final String BOOTSTRAP_SERVERS = "LEGATO_KAFKA_BOOTSTRAP_SERVERS";
  public static final String JOBS_TOPIC = "LEGATO_JOBS_TOPIC";
  public static final String RESULTS_TOPIC = "LEGATO_RESULTS_TOPIC";
  public static final String GROUP_PREFIX = "LEGATO_GROUP_PREFIX";
  public static final String JOB_PARTITIONS = "LEGATO_JOB_PARTITIONS";
  public static final String WORKER_ID = "LEGATO_WORKER_ID";
  public static final String WORKER_CONCURRENCY = "LEGATO_WORKER_CONCURRENCY";
  public static final String SHUTDOWN_TIMEOUT_MS = "LEGATO_SHUTDOWN_TIMEOUT_MS";
  public static final String LOG_LEVEL = "LEGATO_LOG_LEVEL";

  private final String bootstrapServers;
  private final String jobsTopic;
  private final String resultsTopic;
  private final String groupPrefix;
  private final int jobPartitions;
  private final String workerId;
  private final int concurrency;
  private final Duration shutdownTimeout;
  private final String logLevel;

  private WorkerSettings(Builder b) {
    this.bootstrapServers = requireText(b.bootstrapServers, BOOTSTRAP_SERVERS);
    this.jobsTopic = requireText(b.jobsTopic, JOBS_TOPIC);
    this.resultsTopic = requireText(b.resultsTopic, RESULTS_TOPIC);
    this.groupPrefix = requireText(b.groupPrefix, GROUP_PREFIX);
    this.jobPartitions = requirePositive(b.jobPartitions, JOB_PARTITIONS);
    this.workerId = b.workerId != null ? requireText(b.workerId, WORKER_ID) : defaultWorkerId();
    this.concurrency = requirePositive(b.concurrency, WORKER_CONCURRENCY);
    Objects.requireNonNull(b.shutdownTimeout, SHUTDOWN_TIMEOUT_MS);
    if (b.shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException(SHUTDOWN_TIMEOUT_MS + " must be >= 0");
    }
    this.shutdownTimeout = b.shutdownTimeout;
    this.logLevel = requireText(b.logLevel, LOG_LEVEL).toUpperCase(Locale.ROOT);
  }

  /** Settings from the process environment. */
  public static WorkerSettings fromEnv() {
    return fromEnv(System.getenv());
  }

  /** Settings from the given variables; a missing or empty variable takes its default. */
  public static WorkerSettings fromEnv(Map<String, String> env) {
    Builder b = builder();
    String v;
    if ((v = get(env, BOOTSTRAP_SERVERS)) != null) {
      b.bootstrapServers(v);
    }
    if ((v = get(env, JOBS_TOPIC)) != null) {
      b.jobsTopic(v);
    }
    if ((v = get(env, RESULTS_TOPIC)) != null) {
      b.resultsTopic(v);
    }
    if ((v = get(env, GROUP_PREFIX)) != null) {
      b.groupPrefix(v);
    }
    if ((v = get(env, JOB_PARTITIONS)) != null) {
      b.jobPartitions(parseInt(JOB_PARTITIONS, v));
    }
    if ((v = get(env, WORKER_ID)) != null) {
      b.workerId(v);
    }
    if ((v = get(env, WORKER_CONCURRENCY)) != null) {
      b.concurrency(parseInt(WORKER_CONCURRENCY, v));
    }
    if ((v = get(env, SHUTDOWN_TIMEOUT_MS)) != null) {
      b.shutdownTimeout(Duration.ofMillis(parseInt(SHUTDOWN_TIMEOUT_MS, v)));
    }
    if ((v = get(env, LOG_LEVEL)) != null) {
      b.logLevel(v);
    }
    return b.build();
  }

  /** The defaults, with the worker id {@code <hostname>-<pid>}. */
  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder()
        .bootstrapServers(bootstrapServers)
        .jobsTopic(jobsTopic)
        .resultsTopic(resultsTopic)
        .groupPrefix(groupPrefix)
        .jobPartitions(jobPartitions)
        .workerId(workerId)
        .concurrency(concurrency)
        .shutdownTimeout(shutdownTimeout)
        .logLevel(logLevel);
  }

  /** {@code LEGATO_KAFKA_BOOTSTRAP_SERVERS}, default {@code localhost:9092}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** {@code LEGATO_JOBS_TOPIC}, default {@code workflow-jobs}: the job topic prefix. */
  public String jobsTopic() {
    return jobsTopic;
  }

  /** {@code LEGATO_RESULTS_TOPIC}, default {@code workflow-results}. */
  public String resultsTopic() {
    return resultsTopic;
  }

  /** {@code LEGATO_GROUP_PREFIX}, default {@code legato-workers}. */
  public String groupPrefix() {
    return groupPrefix;
  }

  /** {@code LEGATO_JOB_PARTITIONS}, default 6: partitions of a job topic this process creates. */
  public int jobPartitions() {
    return jobPartitions;
  }

  /** {@code LEGATO_WORKER_ID}, default {@code <hostname>-<pid>}. */
  public String workerId() {
    return workerId;
  }

  /** {@code LEGATO_WORKER_CONCURRENCY}, default 16: handlers running at once in this process. */
  public int concurrency() {
    return concurrency;
  }

  /** {@code LEGATO_SHUTDOWN_TIMEOUT_MS}, default 30 s: how long a shutdown waits for handlers. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /**
   * {@code LEGATO_LOG_LEVEL}, default {@code INFO}. The SDK logs through the SLF4J API only; the
   * application's logging backend applies the level.
   */
  public String logLevel() {
    return logLevel;
  }

  @Override
  public String toString() {
    return "WorkerSettings{bootstrapServers="
        + bootstrapServers
        + ", jobsTopic="
        + jobsTopic
        + ", resultsTopic="
        + resultsTopic
        + ", groupPrefix="
        + groupPrefix
        + ", jobPartitions="
        + jobPartitions
        + ", workerId="
        + workerId
        + ", concurrency="
        + concurrency
        + ", shutdownTimeout="
        + shutdownTimeout
        + ", logLevel="
        + logLevel
        + "}";
  }

  /** Builds {@link WorkerSettings}; starts from the defaults. */
  public static final class Builder {
    private String bootstrapServers = "localhost:9092";
    private String jobsTopic = "workflow-jobs";
    private String resultsTopic = "workflow-results";
    private String groupPrefix = "legato-workers";
    private int jobPartitions = 6;
    private String workerId;
    private int concurrency = 16;
    private Duration shutdownTimeout = Duration.ofMillis(30_000);
    private String logLevel = "INFO";

    private Builder() {}

    public Builder bootstrapServers(String value) {
      this.bootstrapServers = value;
      return this;
    }

    public Builder jobsTopic(String value) {
      this.jobsTopic = value;
      return this;
    }

    public Builder resultsTopic(String value) {
      this.resultsTopic = value;
      return this;
    }

    public Builder groupPrefix(String value) {
      this.groupPrefix = value;
      return this;
    }

    public Builder jobPartitions(int value) {
      this.jobPartitions = value;
      return this;
    }

    public Builder workerId(String value) {
      this.workerId = value;
      return this;
    }

    public Builder concurrency(int value) {
      this.concurrency = value;
      return this;
    }

    public Builder shutdownTimeout(Duration value) {
      this.shutdownTimeout = value;
      return this;
    }

    public Builder logLevel(String value) {
      this.logLevel = value;
      return this;
    }

    public WorkerSettings build() {
      return new WorkerSettings(this);
    }
  }

  private static String get(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static int parseInt(String name, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be an integer, got '" + value + "'", e);
    }
  }

  private static String requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be empty");
    }
    return value;
  }

  private static int requirePositive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
    return value;
  }

  private static String defaultWorkerId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "localhost";
      }
    }
    return host + "-" + ProcessHandle.current().pid();
  }
}

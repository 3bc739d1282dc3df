package dev.legato.worker;

import dev.legato.worker.internal.config.EnvValues;
import dev.legato.worker.internal.config.TracingSwitch;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
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
  public static final String CONTROL_TOPIC = "LEGATO_CONTROL_TOPIC";
  public static final String GROUP_PREFIX = "LEGATO_GROUP_PREFIX";
  public static final String JOB_PARTITIONS = "LEGATO_JOB_PARTITIONS";
  public static final String WORKER_ID = "LEGATO_WORKER_ID";
  public static final String WORKER_CONCURRENCY = "LEGATO_WORKER_CONCURRENCY";
  public static final String SHUTDOWN_TIMEOUT_MS = "LEGATO_SHUTDOWN_TIMEOUT_MS";
  public static final String LOG_LEVEL = "LEGATO_LOG_LEVEL";
  public static final String SECURITY_PROTOCOL = "LEGATO_KAFKA_SECURITY_PROTOCOL";
  public static final String SASL_MECHANISM = "LEGATO_KAFKA_SASL_MECHANISM";
  public static final String SASL_USERNAME = "LEGATO_KAFKA_SASL_USERNAME";
  public static final String SASL_PASSWORD = "LEGATO_KAFKA_SASL_PASSWORD";
  public static final String SSL_CA_FILE = "LEGATO_KAFKA_SSL_CA_FILE";
  public static final String SSL_CERT_FILE = "LEGATO_KAFKA_SSL_CERT_FILE";
  public static final String SSL_KEY_FILE = "LEGATO_KAFKA_SSL_KEY_FILE";
  public static final String CREATE_TOPICS = "LEGATO_CREATE_TOPICS";
  public static final String MAX_PAYLOAD_BYTES = "LEGATO_MAX_PAYLOAD_BYTES";
  public static final String MAX_POLL_INTERVAL_MS = "LEGATO_MAX_POLL_INTERVAL_MS";
  public static final String SESSION_TIMEOUT_MS = "LEGATO_SESSION_TIMEOUT_MS";
  public static final String STALL_TIMEOUT_MS = "LEGATO_STALL_TIMEOUT_MS";
  public static final String METRICS_PORT = "LEGATO_METRICS_PORT";
  public static final String METRICS_HOST = "LEGATO_METRICS_HOST";

  private static final String[] PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
  private static final String[] MECHANISMS = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};

  private final String bootstrapServers;
  private final String jobsTopic;
  private final String resultsTopic;
  private final String controlTopic;
  private final String groupPrefix;
  private final int jobPartitions;
  private final String workerId;
  private final int concurrency;
  private final Duration shutdownTimeout;
  private final String logLevel;
  private final String securityProtocol;
  private final String saslMechanism;
  private final String saslUsername;
  private final String saslPassword;
  private final String sslCaFile;
  private final String sslCertFile;
  private final String sslKeyFile;
  private final boolean createTopics;
  private final int maxPayloadBytes;
  private final Duration maxPollInterval;
  private final Duration sessionTimeout;
  private final Duration stallTimeout;
  private final Integer metricsPort;
  private final String metricsHost;
  private final boolean tracing;
  private final boolean installSignalHandlers;
  private final Clock clock;

  private WorkerSettings(Builder b) {
    this.bootstrapServers = requireText(b.bootstrapServers, BOOTSTRAP_SERVERS);
    this.jobsTopic = requireText(b.jobsTopic, JOBS_TOPIC);
    this.resultsTopic = requireText(b.resultsTopic, RESULTS_TOPIC);
    this.controlTopic = requireText(b.controlTopic, CONTROL_TOPIC);
    this.groupPrefix = requireText(b.groupPrefix, GROUP_PREFIX);
    this.jobPartitions = requirePositive(b.jobPartitions, JOB_PARTITIONS);
    this.workerId = b.workerId != null ? requireText(b.workerId, WORKER_ID) : defaultWorkerId();
    this.concurrency = requirePositive(b.concurrency, WORKER_CONCURRENCY);
    Objects.requireNonNull(b.shutdownTimeout, SHUTDOWN_TIMEOUT_MS);
    if (b.shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException(
          SHUTDOWN_TIMEOUT_MS + " must be at least 0, got " + b.shutdownTimeout.toMillis());
    }
    this.shutdownTimeout = b.shutdownTimeout;
    this.logLevel = EnvValues.logLevel(LOG_LEVEL, requireText(b.logLevel, LOG_LEVEL));
    this.securityProtocol =
        EnvValues.oneOf(
            SECURITY_PROTOCOL, requireText(b.securityProtocol, SECURITY_PROTOCOL), PROTOCOLS);
    this.saslMechanism =
        blankToNull(b.saslMechanism) == null
            ? null
            : EnvValues.oneOf(SASL_MECHANISM, b.saslMechanism, MECHANISMS);
    this.saslUsername = blankToNull(b.saslUsername);
    this.saslPassword = b.saslPassword == null || b.saslPassword.isEmpty() ? null : b.saslPassword;
    this.sslCaFile = blankToNull(b.sslCaFile);
    this.sslCertFile = blankToNull(b.sslCertFile);
    this.sslKeyFile = blankToNull(b.sslKeyFile);
    if (securityProtocol.startsWith("SASL_")) {
      requireFor(saslMechanism, SASL_MECHANISM);
      requireFor(saslUsername, SASL_USERNAME);
      requireFor(saslPassword, SASL_PASSWORD);
    }
    if (sslCertFile != null && sslKeyFile == null) {
      throw new IllegalArgumentException(
          SSL_KEY_FILE + " must be set with " + SSL_CERT_FILE + " (mutual TLS needs both)");
    }
    if (sslKeyFile != null && sslCertFile == null) {
      throw new IllegalArgumentException(
          SSL_CERT_FILE + " must be set with " + SSL_KEY_FILE + " (mutual TLS needs both)");
    }
    this.createTopics = b.createTopics;
    this.maxPayloadBytes = requirePositive(b.maxPayloadBytes, MAX_PAYLOAD_BYTES);
    this.maxPollInterval = requirePositive(b.maxPollInterval, MAX_POLL_INTERVAL_MS);
    this.sessionTimeout = requirePositive(b.sessionTimeout, SESSION_TIMEOUT_MS);
    Objects.requireNonNull(b.stallTimeout, STALL_TIMEOUT_MS);
    if (b.stallTimeout.isNegative()) {
      throw new IllegalArgumentException(
          STALL_TIMEOUT_MS + " must be at least 0, got " + b.stallTimeout.toMillis());
    }
    this.stallTimeout = b.stallTimeout;
    if (b.metricsPort != null && (b.metricsPort < 1 || b.metricsPort > 65_535)) {
      throw new IllegalArgumentException(
          METRICS_PORT + " must be a port from 1 to 65535, got " + b.metricsPort);
    }
    this.metricsPort = b.metricsPort;
    this.metricsHost = requireText(b.metricsHost, METRICS_HOST).strip();
    this.tracing = b.tracing;
    this.installSignalHandlers = b.installSignalHandlers;
    this.clock = Objects.requireNonNull(b.clock, "clock");
  }

  /** Settings from the process environment. */
  public static WorkerSettings fromEnv() {
    return fromEnv(System.getenv());
  }

  /**
   * Settings from the given variables. A variable that is unset, empty or whitespace-only keeps its
   * default; values are trimmed.
   *
   * @throws IllegalArgumentException naming the variable, for a value that does not parse or an
   *     invalid combination (e.g. SASL without a username)
   */
  public static WorkerSettings fromEnv(Map<String, String> env) {
    Builder b = builder();
    String v;
    if ((v = EnvValues.text(env, BOOTSTRAP_SERVERS)) != null) {
      b.bootstrapServers(v);
    }
    if ((v = EnvValues.text(env, JOBS_TOPIC)) != null) {
      b.jobsTopic(v);
    }
    if ((v = EnvValues.text(env, RESULTS_TOPIC)) != null) {
      b.resultsTopic(v);
    }
    if ((v = EnvValues.text(env, CONTROL_TOPIC)) != null) {
      b.controlTopic(v);
    }
    if ((v = EnvValues.text(env, GROUP_PREFIX)) != null) {
      b.groupPrefix(v);
    }
    if ((v = EnvValues.text(env, JOB_PARTITIONS)) != null) {
      b.jobPartitions(EnvValues.integer(JOB_PARTITIONS, v, 1, Integer.MAX_VALUE));
    }
    if ((v = EnvValues.text(env, WORKER_ID)) != null) {
      b.workerId(v);
    }
    if ((v = EnvValues.text(env, WORKER_CONCURRENCY)) != null) {
      b.concurrency(EnvValues.integer(WORKER_CONCURRENCY, v, 1, Integer.MAX_VALUE));
    }
    if ((v = EnvValues.text(env, SHUTDOWN_TIMEOUT_MS)) != null) {
      b.shutdownTimeout(
          Duration.ofMillis(EnvValues.integer(SHUTDOWN_TIMEOUT_MS, v, 0, Integer.MAX_VALUE)));
    }
    if ((v = EnvValues.text(env, LOG_LEVEL)) != null) {
      b.logLevel(EnvValues.logLevel(LOG_LEVEL, v));
    }
    if ((v = EnvValues.text(env, SECURITY_PROTOCOL)) != null) {
      b.securityProtocol(v);
    }
    b.saslMechanism(EnvValues.text(env, SASL_MECHANISM));
    b.saslUsername(EnvValues.text(env, SASL_USERNAME));
    b.saslPassword(EnvValues.text(env, SASL_PASSWORD));
    b.sslCaFile(EnvValues.text(env, SSL_CA_FILE));
    b.sslCertFile(EnvValues.text(env, SSL_CERT_FILE));
    b.sslKeyFile(EnvValues.text(env, SSL_KEY_FILE));
    if ((v = EnvValues.text(env, CREATE_TOPICS)) != null) {
      b.createTopics(EnvValues.bool(CREATE_TOPICS, v));
    }
    if ((v = EnvValues.text(env, MAX_PAYLOAD_BYTES)) != null) {
      b.maxPayloadBytes(EnvValues.integer(MAX_PAYLOAD_BYTES, v, 1, Integer.MAX_VALUE));
    }
    if ((v = EnvValues.text(env, MAX_POLL_INTERVAL_MS)) != null) {
      b.maxPollInterval(
          Duration.ofMillis(EnvValues.integer(MAX_POLL_INTERVAL_MS, v, 1, Integer.MAX_VALUE)));
    }
    if ((v = EnvValues.text(env, SESSION_TIMEOUT_MS)) != null) {
      b.sessionTimeout(
          Duration.ofMillis(EnvValues.integer(SESSION_TIMEOUT_MS, v, 1, Integer.MAX_VALUE)));
    }
    if ((v = EnvValues.text(env, STALL_TIMEOUT_MS)) != null) {
      b.stallTimeout(
          Duration.ofMillis(EnvValues.integer(STALL_TIMEOUT_MS, v, 0, Integer.MAX_VALUE)));
    }
    if ((v = EnvValues.text(env, METRICS_PORT)) != null) {
      b.metricsPort(EnvValues.integer(METRICS_PORT, v, 1, 65_535));
    }
    if ((v = EnvValues.text(env, METRICS_HOST)) != null) {
      b.metricsHost(v);
    }
    b.tracing(TracingSwitch.enabled(env));
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
        .controlTopic(controlTopic)
        .groupPrefix(groupPrefix)
        .jobPartitions(jobPartitions)
        .workerId(workerId)
        .concurrency(concurrency)
        .shutdownTimeout(shutdownTimeout)
        .logLevel(logLevel)
        .securityProtocol(securityProtocol)
        .saslMechanism(saslMechanism)
        .saslUsername(saslUsername)
        .saslPassword(saslPassword)
        .sslCaFile(sslCaFile)
        .sslCertFile(sslCertFile)
        .sslKeyFile(sslKeyFile)
        .createTopics(createTopics)
        .maxPayloadBytes(maxPayloadBytes)
        .maxPollInterval(maxPollInterval)
        .sessionTimeout(sessionTimeout)
        .stallTimeout(stallTimeout)
        .metricsPort(metricsPort)
        .metricsHost(metricsHost)
        .tracing(tracing)
        .installSignalHandlers(installSignalHandlers)
        .clock(clock);
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

  /**
   * {@code LEGATO_CONTROL_TOPIC}, default {@code workflow-control}: the orchestrator's {@code
   * Cancel} records, read by every worker (protocol v2).
   */
  public String controlTopic() {
    return controlTopic;
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
   * {@code LEGATO_LOG_LEVEL}, default {@code INFO}: DEBUG, INFO, WARN or ERROR ({@code WARNING}
   * reads as WARN). The SDK logs through the SLF4J API only; the application's logging backend
   * applies the level.
   */
  public String logLevel() {
    return logLevel;
  }

  /**
   * {@code LEGATO_KAFKA_SECURITY_PROTOCOL}, default {@code PLAINTEXT}: PLAINTEXT, SSL,
   * SASL_PLAINTEXT or SASL_SSL.
   */
  public String securityProtocol() {
    return securityProtocol;
  }

  /**
   * {@code LEGATO_KAFKA_SASL_MECHANISM}: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; null when unset.
   */
  public String saslMechanism() {
    return saslMechanism;
  }

  /** {@code LEGATO_KAFKA_SASL_USERNAME}, or null. */
  public String saslUsername() {
    return saslUsername;
  }

  /** {@code LEGATO_KAFKA_SASL_PASSWORD}, or null. Never printed by {@link #toString()}. */
  public String saslPassword() {
    return saslPassword;
  }

  /** {@code LEGATO_KAFKA_SSL_CA_FILE}: a PEM CA bundle; null means the JVM's trusted CAs. */
  public String sslCaFile() {
    return sslCaFile;
  }

  /** {@code LEGATO_KAFKA_SSL_CERT_FILE}: the PEM client certificate (chain), or null. */
  public String sslCertFile() {
    return sslCertFile;
  }

  /** {@code LEGATO_KAFKA_SSL_KEY_FILE}: the client's unencrypted PKCS#8 PEM key, or null. */
  public String sslKeyFile() {
    return sslKeyFile;
  }

  /** {@code LEGATO_CREATE_TOPICS}, default true: create missing topics at start. */
  public boolean createTopics() {
    return createTopics;
  }

  /**
   * {@code LEGATO_MAX_PAYLOAD_BYTES}, default 1000000: the largest output (UTF-8 bytes of its JSON
   * text) a result may carry; a larger one is sent as a FAILED {@code ResultTooLarge}.
   */
  public int maxPayloadBytes() {
    return maxPayloadBytes;
  }

  /** {@code LEGATO_MAX_POLL_INTERVAL_MS}, default 300000: the consumers' max.poll.interval.ms. */
  public Duration maxPollInterval() {
    return maxPollInterval;
  }

  /**
   * {@code LEGATO_SESSION_TIMEOUT_MS}, default 10000: the consumers' session.timeout.ms (heartbeat
   * every min(1000, session / 3) ms).
   */
  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  /**
   * {@code LEGATO_STALL_TIMEOUT_MS}, default 30000: how long records may wait in an action's
   * assigned partitions, with a free handler slot and nothing fetched, before the worker logs that
   * the consumer is not making progress (docs/observability.md); zero turns the warning off.
   */
  public Duration stallTimeout() {
    return stallTimeout;
  }

  /**
   * {@code LEGATO_METRICS_PORT}, default null (metrics off): when set, the worker serves its
   * Prometheus metrics at {@code http://<metricsHost>:<port>/metrics} while it runs
   * (docs/observability.md), 1 to 65535.
   */
  public Integer metricsPort() {
    return metricsPort;
  }

  /** {@code LEGATO_METRICS_HOST}, default {@code 127.0.0.1}: the address the metrics bind. */
  public String metricsHost() {
    return metricsHost;
  }

  /**
   * Whether the worker traces its jobs with OpenTelemetry (docs/observability.md, "Traces"). From
   * the environment: true when {@code OTEL_SDK_DISABLED} is not {@code true} and any of {@code
   * OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} or {@code
   * OTEL_TRACES_EXPORTER} (other than {@code none}) is set; default false. Everything else (the
   * exporter, service name, sampling) is read from the {@code OTEL_*} variables by the
   * OpenTelemetry SDK, unless the application has set {@code GlobalOpenTelemetry} itself.
   */
  public boolean tracing() {
    return tracing;
  }

  /**
   * Whether {@link Worker#start()} handles SIGTERM/SIGINT (drain, then let the JVM exit) and adds a
   * JVM shutdown hook that drains; default true. Not an environment variable: an application that
   * embeds workers and owns its shutdown turns it off with {@code installSignalHandlers(false)}.
   */
  public boolean installSignalHandlers() {
    return installSignalHandlers;
  }

  /**
   * The wall clock (epoch ms) of every time the worker writes on a record ({@code startedAt},
   * {@code at}, {@code finishedAt}) or compares with one (a job's {@code deadlineAt}, a {@code
   * Cancel}'s {@code at}); default {@link Clock#systemUTC()}. Durations (startToClose, the lazy
   * {@code STARTED}, heartbeat pacing, the shutdown drain) are measured with {@link
   * System#nanoTime()}, never with it. Not an environment variable.
   */
  public Clock clock() {
    return clock;
  }

  @Override
  public String toString() {
    return "WorkerSettings{bootstrapServers="
        + bootstrapServers
        + ", jobsTopic="
        + jobsTopic
        + ", resultsTopic="
        + resultsTopic
        + ", controlTopic="
        + controlTopic
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
        + ", securityProtocol="
        + securityProtocol
        + ", saslMechanism="
        + saslMechanism
        + ", saslUsername="
        + saslUsername
        + ", saslPassword="
        + (saslPassword == null ? null : "***")
        + ", sslCaFile="
        + sslCaFile
        + ", sslCertFile="
        + sslCertFile
        + ", sslKeyFile="
        + sslKeyFile
        + ", createTopics="
        + createTopics
        + ", maxPayloadBytes="
        + maxPayloadBytes
        + ", maxPollInterval="
        + maxPollInterval
        + ", sessionTimeout="
        + sessionTimeout
        + ", stallTimeout="
        + stallTimeout
        + ", metricsPort="
        + metricsPort
        + ", metricsHost="
        + metricsHost
        + ", tracing="
        + tracing
        + ", installSignalHandlers="
        + installSignalHandlers
        + "}";
  }

  /** Builds {@link WorkerSettings}; starts from the defaults. */
  public static final class Builder {
    private String bootstrapServers = "localhost:9092";
    private String jobsTopic = "workflow-jobs";
    private String resultsTopic = "workflow-results";
    private String controlTopic = "workflow-control";
    private String groupPrefix = "legato-workers";
    private int jobPartitions = 6;
    private String workerId;
    private int concurrency = 16;
    private Duration shutdownTimeout = Duration.ofMillis(30_000);
    private String logLevel = "INFO";
    private String securityProtocol = "PLAINTEXT";
    private String saslMechanism;
    private String saslUsername;
    private String saslPassword;
    private String sslCaFile;
    private String sslCertFile;
    private String sslKeyFile;
    private boolean createTopics = true;
    private int maxPayloadBytes = 1_000_000;
    private Duration maxPollInterval = Duration.ofMillis(300_000);
    private Duration sessionTimeout = Duration.ofMillis(10_000);
    private Duration stallTimeout = Duration.ofMillis(30_000);
    private Integer metricsPort;
    private String metricsHost = "127.0.0.1";
    private boolean tracing;
    private boolean installSignalHandlers = true;
    private Clock clock = Clock.systemUTC();

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

    public Builder controlTopic(String value) {
      this.controlTopic = value;
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

    public Builder securityProtocol(String value) {
      this.securityProtocol = value;
      return this;
    }

    public Builder saslMechanism(String value) {
      this.saslMechanism = value;
      return this;
    }

    public Builder saslUsername(String value) {
      this.saslUsername = value;
      return this;
    }

    public Builder saslPassword(String value) {
      this.saslPassword = value;
      return this;
    }

    public Builder sslCaFile(String value) {
      this.sslCaFile = value;
      return this;
    }

    public Builder sslCertFile(String value) {
      this.sslCertFile = value;
      return this;
    }

    public Builder sslKeyFile(String value) {
      this.sslKeyFile = value;
      return this;
    }

    public Builder createTopics(boolean value) {
      this.createTopics = value;
      return this;
    }

    public Builder maxPayloadBytes(int value) {
      this.maxPayloadBytes = value;
      return this;
    }

    public Builder maxPollInterval(Duration value) {
      this.maxPollInterval = value;
      return this;
    }

    public Builder sessionTimeout(Duration value) {
      this.sessionTimeout = value;
      return this;
    }

    /** See {@link WorkerSettings#stallTimeout()}; zero turns the stall warning off. */
    public Builder stallTimeout(Duration value) {
      this.stallTimeout = value;
      return this;
    }

    /** See {@link WorkerSettings#metricsPort()}; null turns metrics off. */
    public Builder metricsPort(Integer value) {
      this.metricsPort = value;
      return this;
    }

    public Builder metricsHost(String value) {
      this.metricsHost = value;
      return this;
    }

    /** See {@link WorkerSettings#tracing()}. */
    public Builder tracing(boolean value) {
      this.tracing = value;
      return this;
    }

    /** See {@link WorkerSettings#installSignalHandlers()}. */
    public Builder installSignalHandlers(boolean value) {
      this.installSignalHandlers = value;
      return this;
    }

    /** See {@link WorkerSettings#clock()}. */
    public Builder clock(Clock value) {
      this.clock = value;
      return this;
    }

    public WorkerSettings build() {
      return new WorkerSettings(this);
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
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
    return value;
  }

  private static Duration requirePositive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.toMillis() < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value.toMillis());
    }
    return value;
  }

  private static void requireFor(String value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(
          name + " must be set when " + SECURITY_PROTOCOL + " is SASL_PLAINTEXT or SASL_SSL");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
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

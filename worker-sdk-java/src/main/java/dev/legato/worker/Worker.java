package dev.legato.worker;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.legato.worker.internal.ShutdownSignals;
import dev.legato.worker.internal.consume.ActionConsumer;
import dev.legato.worker.internal.control.ControlConsumer;
import dev.legato.worker.internal.execute.Attempt;
import dev.legato.worker.internal.execute.JobDispatcher;
import dev.legato.worker.internal.execute.JobRunner;
import dev.legato.worker.internal.execute.Monotonic;
import dev.legato.worker.internal.execute.RecentJobs;
import dev.legato.worker.internal.execute.RunningAttempts;
import dev.legato.worker.internal.execute.SkipLog;
import dev.legato.worker.internal.execute.Step;
import dev.legato.worker.internal.execute.Withdrawals;
import dev.legato.worker.internal.kafka.Delivery;
import dev.legato.worker.internal.kafka.KafkaClients;
import dev.legato.worker.internal.kafka.Publisher;
import dev.legato.worker.internal.kafka.TopicAdmin;
import dev.legato.worker.internal.observe.JobTracing;
import dev.legato.worker.internal.observe.OtelJobTracing;
import dev.legato.worker.internal.observe.PrometheusMetrics;
import dev.legato.worker.internal.observe.WorkerMetrics;
import dev.legato.worker.internal.protocol.MessageCodec;
import dev.legato.worker.internal.protocol.Topics;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Legato worker: runs the handlers registered for actions on the jobs Kafka delivers for them,
 * and publishes one result per job.
 *
 * <pre>{@code
 * Worker worker = new Worker();                 // config from LEGATO_* env vars
 * worker.register("step1", payload -> "Processed: " + payload.asText());
 * worker.start();                               // blocks; SIGTERM/SIGINT drain, then return
 * }</pre>
 *
 * <p>Embedding: {@link #startAsync()} returns at once, {@link #stop()} drains, and {@code
 * WorkerSettings.builder().installSignalHandlers(false)} leaves SIGTERM/SIGINT to the application.
 * The library never exits the JVM.
 *
 * <p>Each action is consumed by its own consumer in group {@code legato-workers.<action>} on topic
 * {@code workflow-jobs.<action>}; at most {@link WorkerSettings#concurrency()} handlers run at
 * once. Delivery is at-least-once: a job's offset is committed only after its result is
 * acknowledged (or, for a step with a heartbeat timeout, its {@code STARTED}; or once a {@code
 * Cancel} withdrew it). A shutdown never costs an attempt: a handler it cancels that does not
 * return is answered FAILED {@code WorkerShutdown}, by the worker itself if it is still running
 * after the grace.
 *
 * <p>Protocol v2: before any job starts, the worker reads the control topic ({@link
 * WorkerSettings#controlTopic()}) to its end, and keeps tailing it: a withdrawn attempt, or one
 * whose start-by time has passed, is skipped (reported {@code SKIPPED}) and a running one is
 * cancelled (see {@link JobContext}).
 */
public final class Worker {
  /** This SDK's version. */
  public static final String VERSION = "0.2.0";

  /** The {@code sdk} field of every result this SDK writes. */
  public static final String SDK = "java/" + VERSION;

  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);
  private static final long TICK_MS = 50;

  /**
   * After the drain limit, how long the handlers cancelled with {@code WorkerShutdown} get to
   * return; the worker answers those still running then FAILED {@code WorkerShutdown} itself.
   */
  static final long CANCEL_GRACE_MS = 2_000;

  /**
   * How long the consumers wait, past the grace, for the last results to be acknowledged (as long
   * as the producer's flush at close).
   */
  private static final long FLUSH_MS = 10_000;

  private enum State {
    NEW,
    STARTING,
    RUNNING,
    STOPPING,
    STOPPED
  }

  private final WorkerSettings settings;
  private final Map<String, Step> handlers = new LinkedHashMap<>();
  private final Object lock = new Object();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final List<ActionConsumer> consumers = new ArrayList<>();
  private final List<Thread> consumerThreads = new ArrayList<>();
  private State state = State.NEW;
  private boolean stopRequested;
  private volatile Throwable failure;
  private Producer<byte[], byte[]> producer;
  private ExecutorService pool;
  private JobDispatcher dispatcher;
  private ScheduledExecutorService scheduler;
  private Delivery delivery;
  private ControlConsumer control;
  private Thread controlThread;
  private volatile WorkerMetrics metrics = WorkerMetrics.NONE;
  private JobTracing tracing = JobTracing.NONE;
  private final RunningAttempts running = new RunningAttempts();
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  /** A worker configured from the {@code LEGATO_*} environment variables. */
  public Worker() {
    this(WorkerSettings.fromEnv());
  }

  public Worker(WorkerSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  public WorkerSettings settings() {
    return settings;
  }

  /**
   * Where this worker serves its Prometheus metrics ({@code GET /metrics}) while it runs; null when
   * metrics are off ({@link WorkerSettings#metricsPort()} unset) or the worker is not running.
   */
  public InetSocketAddress metricsAddress() {
    return metrics.address();
  }

  /**
   * Runs {@code handler} for jobs of {@code action}.
   *
   * @throws IllegalArgumentException if the name does not match {@code
   *     ^[A-Za-z][A-Za-z0-9_-]{0,99}$}, is {@code DLT}, or is already registered
   * @throws IllegalStateException once the worker has started
   */
  public Worker register(String action, Handler handler) {
    Objects.requireNonNull(handler, "handler");
    if (!Topics.validAction(action)) {
      throw new IllegalArgumentException(
          "invalid action name '"
              + action
              + "': use ^[A-Za-z][A-Za-z0-9_-]{0,99}$ (and not the reserved name DLT)");
    }
    synchronized (lock) {
      if (state != State.NEW) {
        throw new IllegalStateException("register actions before start()");
      }
      if (handlers.putIfAbsent(action, JobContext.step(handler)) != null) {
        throw new IllegalArgumentException("action '" + action + "' is already registered");
      }
    }
    return this;
  }

  /**
   * Runs {@code handler} for jobs of {@code action} with its input converted by Jackson to {@code
   * inputType} (records supported; an unknown property, a missing or null primitive, or a fraction
   * for an integer is an error) and its return value converted to JSON. A payload or output that
   * does not convert fails the attempt, not retryably, with error type {@code InvalidPayload} and a
   * message naming the side and the field ({@code input: total: Cannot deserialize ...}). The
   * handler gets the attempt's {@link JobContext} as its second argument.
   *
   * @throws IllegalArgumentException as {@link #register(String, Handler)}
   * @throws IllegalStateException once the worker has started
   */
  public <I> Worker register(String action, Class<I> inputType, TypedHandler<I, ?> handler) {
    Objects.requireNonNull(inputType, "inputType");
    Objects.requireNonNull(handler, "handler");
    return register(
        action, TypedPayloads.bind(TypedPayloads.MAPPER.constructType(inputType), handler));
  }

  /**
   * {@link #register(String, Class, TypedHandler)} for a generic input type, e.g. {@code new
   * TypeReference<List<Order>>() {}}.
   */
  public <I> Worker register(
      String action, TypeReference<I> inputType, TypedHandler<I, ?> handler) {
    Objects.requireNonNull(inputType, "inputType");
    Objects.requireNonNull(handler, "handler");
    return register(
        action, TypedPayloads.bind(TypedPayloads.MAPPER.constructType(inputType), handler));
  }

  /**
   * Connects to Kafka, creates the missing topics (the action topics, the jobs DLT and the results
   * topic; unless {@link WorkerSettings#createTopics()} is false) and runs jobs until {@link
   * #stop()} is called or, with {@link WorkerSettings#installSignalHandlers()}, the process gets
   * SIGTERM/SIGINT. Blocks until the worker has drained and closed, then returns normally.
   *
   * @throws IllegalStateException if no action is registered, the worker was started before, or
   *     Kafka cannot be reached at start
   * @throws WorkerFatalException after the worker has stopped because of a fatal Kafka error (e.g.
   *     failed authentication or authorization) or a failed consumer
   */
  public void start() {
    begin();
    run();
    Throwable error = failure;
    if (error instanceof RuntimeException e) {
      throw e;
    }
    if (error instanceof Error e) {
      throw e;
    }
  }

  /**
   * Like {@link #start()} but returns at once; the worker starts and runs on its own thread. The
   * future completes when the worker has stopped: normally after {@link #stop()}, exceptionally
   * with {@link WorkerFatalException} after a fatal error or with {@link IllegalStateException} if
   * it could not start.
   *
   * @throws IllegalStateException if no action is registered or the worker was started before
   */
  public CompletableFuture<Void> startAsync() {
    begin();
    Thread thread = new Thread(this::run, "legato-worker");
    thread.start();
    return done;
  }

  /**
   * Stops fetching jobs, waits for in-flight handlers (at most {@link
   * WorkerSettings#shutdownTimeout()}), commits what is durable and closes. Idempotent; returns
   * once the worker has stopped.
   */
  public void stop() {
    boolean drainHere = false;
    synchronized (lock) {
      switch (state) {
        case NEW -> {
          state = State.STOPPED;
          done.complete(null);
          stopped.countDown();
          return;
        }
        case STARTING -> stopRequested = true;
        case RUNNING -> {
          state = State.STOPPING;
          drainHere = true;
        }
        default -> {}
      }
    }
    if (drainHere) {
      drain();
    }
    awaitStopped();
  }

  private void begin() {
    synchronized (lock) {
      if (state != State.NEW) {
        throw new IllegalStateException("a Worker can be started once");
      }
      if (handlers.isEmpty()) {
        throw new IllegalStateException("register at least one action before start()");
      }
      state = State.STARTING;
    }
  }

  /** Launches, runs until stopped, completes {@link #done}; records what went wrong in failure. */
  private void run() {
    ShutdownSignals.Registration signals = () -> {};
    try {
      launch();
      if (settings.installSignalHandlers()) {
        signals = ShutdownSignals.register(this::stop);
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      closeClients();
      finish();
      return;
    }
    boolean stopNow;
    synchronized (lock) {
      stopNow = stopRequested || failure != null;
      state = stopNow ? State.STOPPING : State.RUNNING;
    }
    log.info(
        "worker {} ({}) running actions {} with concurrency {}",
        settings.workerId(),
        SDK,
        handlers.keySet(),
        settings.concurrency());
    if (stopNow) {
      drain();
    }
    awaitStopped();
    signals.close();
  }

  private void launch() {
    KafkaClients clients = new KafkaClients(KafkaClientSettings.of(settings), "java");
    List<String> topics = new ArrayList<>();
    handlers.keySet().forEach(a -> topics.add(Topics.jobTopic(settings.jobsTopic(), a)));
    topics.add(Topics.jobsDltTopic(settings.jobsTopic()));
    topics.add(settings.resultsTopic());
    if (settings.createTopics()) {
      try (Admin admin = clients.admin()) {
        TopicAdmin.ensureTopics(admin, topics, settings.jobPartitions(), KAFKA_TIMEOUT);
        TopicAdmin.ensureControlTopic(admin, settings.controlTopic(), KAFKA_TIMEOUT);
      }
    }
    Semaphore permits = new Semaphore(settings.concurrency());
    if (settings.metricsPort() != null) {
      int slots = settings.concurrency();
      metrics =
          PrometheusMetrics.serve(
              settings.metricsHost(),
              settings.metricsPort(),
              handlers.keySet(),
              slots,
              () -> slots - permits.availablePermits());
      InetSocketAddress at = metrics.address();
      log.info("metrics at http://{}:{}/metrics", at.getHostString(), at.getPort());
    }
    if (settings.tracing()) {
      try {
        tracing = OtelJobTracing.fromEnvironment(VERSION, settings.groupPrefix());
      } catch (RuntimeException e) { // e.g. an OTEL_* value autoconfigure rejects
        log.error("tracing off: OpenTelemetry could not be configured from OTEL_*: {}", e, e);
      }
    }
    producer = clients.producer();
    pool = Executors.newFixedThreadPool(settings.concurrency(), daemonThreads("legato-handler-"));
    scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("legato-timer-"));
    delivery = new Delivery(producer, scheduler, this::fatal);
    Clock clock = settings.clock();
    MessageCodec codec = new MessageCodec();
    JobRunner.warmUp();
    Publisher publisher =
        new Publisher(
            delivery,
            codec,
            settings.resultsTopic(),
            Topics.jobsDltTopic(settings.jobsTopic()),
            settings.workerId(),
            clock,
            JobRunner::refusedAsTooLarge);
    Withdrawals withdrawals = new Withdrawals(running);
    RecentJobs recent = new RecentJobs();
    SkipLog skipLog = new SkipLog();
    dispatcher =
        new JobDispatcher(
            handlers,
            codec,
            new JobRunner(settings.workerId(), SDK, clock, settings.maxPayloadBytes()),
            publisher,
            pool,
            permits,
            new JobDispatcher.Attempts(
                running, withdrawals, recent, skipLog, scheduler, clock, Monotonic::millis),
            new JobDispatcher.Observers(metrics, tracing));
    scheduler.scheduleWithFixedDelay(
        () -> tick(skipLog, recent), TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);

    control =
        new ControlConsumer(
            settings.controlTopic(), clients.controlConsumer(), codec, withdrawals, clock);
    controlThread = new Thread(this::runControl, "legato-control");
    controlThread.setDaemon(true);
    controlThread.start();
    // The job consumers are built while the control topic is read; they start once it is read.
    for (String action : handlers.keySet()) {
      ActionConsumer consumer =
          new ActionConsumer(
              action,
              Topics.jobTopic(settings.jobsTopic(), action),
              clients.consumer(action),
              dispatcher,
              metrics,
              settings.stallTimeout());
      Thread thread = new Thread(() -> runConsumer(action, consumer), "legato-consumer-" + action);
      consumers.add(consumer);
      consumerThreads.add(thread);
    }
    if (!awaitControlCaughtUp()) {
      consumers.forEach(ActionConsumer::close); // stopping (or failed) before any job started
      consumers.clear();
      consumerThreads.clear();
      return;
    }
    consumerThreads.forEach(Thread::start);
  }

  /**
   * The timer: progress and cancellations of running attempts, the skip summary, the jobIds of
   * ended attempts forgotten after their hour (durations, on the monotonic clock).
   */
  private void tick(SkipLog skipLog, RecentJobs recent) {
    try {
      long now = Monotonic.millis();
      running.tick(now);
      skipLog.summarize(now);
      recent.prune(now);
    } catch (RuntimeException e) {
      log.warn("worker timer: {}", e.toString(), e); // never let the periodic task die
    }
  }

  /**
   * Waits until the control topic is read to its end; false if the worker is stopping or failed
   * first. No job starts before (docs/protocol.md, v2 item 11).
   */
  private boolean awaitControlCaughtUp() {
    try {
      while (!control.awaitCaughtUp(100, TimeUnit.MILLISECONDS)) {
        synchronized (lock) {
          if (stopRequested || failure != null) {
            return false;
          }
        }
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void runControl() {
    try {
      control.run();
    } catch (Throwable e) {
      synchronized (lock) {
        if (failure == null) {
          failure =
              new WorkerFatalException(
                  "the control topic consumer failed: " + e + "; the worker stopped", e);
        }
      }
      log.error("control topic consumer failed; stopping the worker", e);
      new Thread(this::stop, "legato-stop").start();
    }
  }

  private void runConsumer(String action, ActionConsumer consumer) {
    try {
      consumer.run();
    } catch (Throwable e) {
      if (failure == null) {
        failure =
            new WorkerFatalException(
                "the consumer for action '" + action + "' failed: " + e + "; the worker stopped",
                e);
      }
      log.error("consumer for action '{}' failed; stopping the worker", action, e);
      new Thread(this::stop, "legato-stop").start();
    }
  }

  /** A fatal producer error: one ERROR line, then stop at once (nothing more can be written). */
  private void fatal(Throwable error) {
    synchronized (lock) {
      if (failure != null) {
        return;
      }
      failure =
          new WorkerFatalException(
              "fatal Kafka producer error, the worker stopped: " + error, error);
    }
    log.error(
        "fatal Kafka producer error; stopping worker {} without waiting for in-flight jobs: {}",
        settings.workerId(),
        error.toString());
    new Thread(this::stop, "legato-stop").start();
  }

  private void drain() {
    boolean abort = failure != null;
    long wait = abort ? 0 : settings.shutdownTimeout().toMillis();
    long grace = abort ? 0 : CANCEL_GRACE_MS;
    long deadline = Monotonic.millis() + wait; // durations on the monotonic clock
    if (!abort) {
      log.info("stopping: waiting up to {} ms for in-flight jobs", wait);
    }
    try {
      // The consumers keep committing what becomes durable until the results of the handlers
      // cancelled at the deadline, or released after their grace, are acknowledged.
      long consumersUntil = abort ? deadline : deadline + grace + FLUSH_MS;
      consumers.forEach(c -> c.stop(consumersUntil));
      awaitHandlers(deadline);
      if (abort) {
        running.cancelAll(Attempt.WORKER_SHUTDOWN); // signalled; nothing more can be written
      } else {
        cancelStillRunning(grace);
      }
      for (Thread thread : consumerThreads) {
        thread.join(Math.max(1, consumersUntil - Monotonic.millis()) + 10_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeClients();
      finish();
      log.info("worker {} stopped", settings.workerId());
    }
  }

  /**
   * Past the drain limit: the handlers still running are cancelled with reason {@code
   * WorkerShutdown} and get a short grace to return. One that returns in it sends its result; one
   * that fails in it is answered FAILED {@code WorkerShutdown} (after its pending heartbeat); for
   * one still running after it, the worker sends that result itself and drops what the handler does
   * later. The orchestrator queues a {@code WorkerShutdown} job again without using an attempt, and
   * its offset is committed once that result is acknowledged: a shutdown never costs an attempt.
   */
  private void cancelStillRunning(long grace) throws InterruptedException {
    if (dispatcher == null || dispatcher.idle()) {
      return;
    }
    log.warn(
        "{} handler(s) still running at the shutdown deadline: cancelling them ({})",
        running.activeCount(),
        Attempt.WORKER_SHUTDOWN);
    running.cancelAll(Attempt.WORKER_SHUTDOWN);
    awaitHandlers(Monotonic.millis() + grace);
    int stillRunning = dispatcher.releaseStillRunning();
    int released = dispatcher.releasedAtShutdown();
    if (released > 0) {
      log.warn(
          "released {} attempt(s) at shutdown ({} still running {} ms after their cancellation):"
              + " answered {}, they are queued again without using an attempt",
          released,
          stillRunning,
          grace,
          Attempt.WORKER_SHUTDOWN);
    }
  }

  /** Waits until no handler runs (but withdrawn ones), or until {@code deadline} (monotonic). */
  private void awaitHandlers(long deadline) throws InterruptedException {
    while (dispatcher != null && !dispatcher.idle() && Monotonic.millis() < deadline) {
      running.awaitEmpty(Math.min(100, Math.max(1, deadline - Monotonic.millis())));
    }
  }

  private void closeClients() {
    boolean abort = failure != null;
    if (control != null) {
      control.stop();
    }
    if (dispatcher != null) {
      dispatcher.close(); // a handler finishing after the deadline publishes nothing
    }
    if (delivery != null) {
      delivery.close(); // nor is a result re-sent any more
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    if (pool != null) {
      pool.shutdownNow();
    }
    if (producer != null) {
      producer.close(abort ? Duration.ZERO : Duration.ofSeconds(10));
    }
    metrics.close();
    metrics = WorkerMetrics.NONE;
    tracing.flush();
  }

  private void finish() {
    synchronized (lock) {
      state = State.STOPPED;
    }
    Throwable error = failure;
    if (error == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(error);
    }
    stopped.countDown();
  }

  private void awaitStopped() {
    boolean interrupted = false;
    while (true) {
      try {
        stopped.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}

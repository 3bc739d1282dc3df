package dev.legato.workflow;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One step of a {@link Workflow}, before it gets its id: a task ({@link #action}), a durable timer
 * ({@link #waitSeconds}, {@link #waitUntil}), a signal wait ({@link #signal}) or a child run
 * ({@link #child}). Chainable setters add the step's fields; a field never set is absent from the
 * definition. A setter that does not fit the step's kind (e.g. {@code forEach} on a wait) throws
 * {@link IllegalStateException}; everything else is validated by the server.
 */
public final class Step {
  /** The step's kind. */
  public enum Kind {
    TASK,
    WAIT,
    SIGNAL,
    CHILD
  }

  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");
  private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("xxx");

  private final Kind kind;
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private final Map<String, Object> spec = new LinkedHashMap<>(); // wait / signal / workflow
  private final List<String> dependsOn = new ArrayList<>();

  private Step(Kind kind) {
    this.kind = kind;
  }

  /** A task: runs a job of {@code action} on a worker. */
  public static Step action(String action) {
    Step step = new Step(Kind.TASK);
    step.fields.put("action", Objects.requireNonNull(action, "action"));
    return step;
  }

  /** A durable timer of {@code seconds}. */
  public static Step waitSeconds(double seconds) {
    Step step = new Step(Kind.WAIT);
    step.spec.put("seconds", Numbers.json(seconds));
    return step;
  }

  /** A durable timer until {@code until} (ISO 8601 with an offset). */
  public static Step waitUntil(String until) {
    Step step = new Step(Kind.WAIT);
    step.spec.put("until", Objects.requireNonNull(until, "until"));
    return step;
  }

  /**
   * A durable timer until {@code until}, written with its offset ({@code +00:00}, not Z) and
   * microseconds when they are not zero ({@code 2027-01-01T00:00:00+00:00}).
   */
  public static Step waitUntil(OffsetDateTime until) {
    int micros = until.get(ChronoField.MICRO_OF_SECOND); // Python's isoformat: micros when not 0
    String fraction = micros == 0 ? "" : String.format(java.util.Locale.ROOT, ".%06d", micros);
    return waitUntil(SECONDS.format(until) + fraction + OFFSET.format(until));
  }

  public static Step waitUntil(ZonedDateTime until) {
    return waitUntil(until.toOffsetDateTime());
  }

  /** A durable timer until {@code until}, written in UTC. */
  public static Step waitUntil(Instant until) {
    return waitUntil(until.atOffset(ZoneOffset.UTC));
  }

  /** Waits for the signal {@code name} sent to the run; its payload is the step's output. */
  public static Step signal(String name) {
    Step step = new Step(Kind.SIGNAL);
    step.spec.put("name", Objects.requireNonNull(name, "name"));
    return step;
  }

  /** Runs the latest version of workflow {@code workflowId} as a child run. */
  public static Step child(String workflowId) {
    Step step = new Step(Kind.CHILD);
    step.spec.put("id", Objects.requireNonNull(workflowId, "workflowId"));
    return step;
  }

  public Kind kind() {
    return kind;
  }

  /** The steps this one waits for (each must be added to the workflow before this one). */
  public Step dependsOn(String... stepIds) {
    dependsOn.addAll(Arrays.asList(stepIds));
    return this;
  }

  /**
   * The step's input: any JSON value (Maps, Lists, Strings, numbers, booleans, null, a Jackson
   * node), with {@link Ref} strings as templates. Kept as given, null included.
   */
  public Step input(Object input) {
    only("input", Kind.TASK, Kind.WAIT, Kind.CHILD);
    fields.put("input", input);
    return this;
  }

  /** A JMESPath condition; falsy makes the step SKIPPED. */
  public Step when(String expression) {
    fields.put("when", expression);
    return this;
  }

  /** Makes a task a map: one job per item of this JMESPath list. */
  public Step forEach(String expression) {
    only("forEach", Kind.TASK);
    fields.put("forEach", expression);
    return this;
  }

  public Step maxParallel(int items) {
    only("maxParallel", Kind.TASK);
    fields.put("maxParallel", items);
    return this;
  }

  /** {@code "fail"} (the default) or {@code "continue"}. */
  public Step onItemFailure(String policy) {
    only("onItemFailure", Kind.TASK);
    fields.put("onItemFailure", policy);
    return this;
  }

  public Step retry(Retry retry) {
    return retry(retry.toMap());
  }

  public Step retry(Map<String, ?> retry) {
    only("retry", Kind.TASK, Kind.CHILD);
    fields.put("retry", new LinkedHashMap<>(retry));
    return this;
  }

  public Step startToCloseSeconds(double seconds) {
    return timeout("startToCloseSeconds", seconds);
  }

  public Step scheduleToStartSeconds(double seconds) {
    return timeout("scheduleToStartSeconds", seconds);
  }

  public Step heartbeatSeconds(double seconds) {
    return timeout("heartbeatSeconds", seconds);
  }

  /** A signal step's wait limit; then it fails with SignalTimeout, or outputs its default. */
  public Step timeoutSeconds(double seconds) {
    only("timeoutSeconds", Kind.SIGNAL);
    spec.put("timeoutSeconds", Numbers.json(seconds));
    return this;
  }

  /** A signal step's output when its wait times out (any JSON value, null included). */
  public Step defaultValue(Object value) {
    only("default", Kind.SIGNAL);
    spec.put("default", value);
    return this;
  }

  /** A child step's workflow version (default: the latest when the step starts). */
  public Step version(int version) {
    only("version", Kind.CHILD);
    spec.put("version", version);
    return this;
  }

  private Step timeout(String field, double seconds) {
    only(field, Kind.TASK);
    fields.put(field, Numbers.json(seconds));
    return this;
  }

  private void only(String field, Kind... kinds) {
    if (!Arrays.asList(kinds).contains(kind)) {
      throw new IllegalStateException(
          field
              + " does not apply to a "
              + kind.name().toLowerCase(java.util.Locale.ROOT)
              + " step");
    }
  }

  List<String> dependencies() {
    return List.copyOf(dependsOn);
  }

  /** The step's JSON object with id {@code id} (a fresh copy). */
  Map<String, Object> toMap(String id) {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("id", id);
    map.putAll(fields);
    if (!dependsOn.isEmpty()) {
      map.put("dependsOn", List.copyOf(dependsOn));
    }
    switch (kind) {
      case WAIT -> map.put("wait", new LinkedHashMap<>(spec));
      case SIGNAL -> map.put("signal", new LinkedHashMap<>(spec));
      case CHILD -> map.put("workflow", new LinkedHashMap<>(spec));
      case TASK -> {}
    }
    return map;
  }
}

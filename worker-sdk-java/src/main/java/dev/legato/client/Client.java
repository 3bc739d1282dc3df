package dev.legato.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.legato.client.Http.Call;
import dev.legato.client.Http.Safety;
import dev.legato.workflow.Workflow;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A client of the Legato HTTP API: define workflows, trigger and await runs, and operate on them.
 * Blocking and thread-safe.
 *
 * <pre>{@code
 * Client client = Client.fromEnv();                 // LEGATO_API_URL, LEGATO_API_KEY
 * client.define(Workflow.create("hello").step("a", Step.action("x")));
 * RunHandle run = client.trigger("hello", Map.of("n", 1));
 * JsonNode output = run.result(Duration.ofSeconds(30));
 * }</pre>
 *
 * <p>Retries are safe by construction: 429 and 503 are retried after {@code Retry-After} (or 0.2 s
 * doubling to 5 s) at most {@link Builder#maxRetries} times; a trigger always carries an {@code
 * Idempotency-Key} (a random one unless given), so it is also retried on 409 (its first request is
 * still in flight) and on a connection error, as GETs, definitions and signals with a signal id
 * are. Cancel, retry, pause, resume and a signal without id are never sent twice. Errors are typed
 * ({@link NotFound}, {@link InvalidRequest}, ... under {@link LegatoException}).
 */
public final class Client {
  static final String DEFAULT_URL = "http://localhost:8080";
  static final int DEFAULT_MAX_RETRIES = 5;
  private static final int MAX_PAGE = 500;

  private final Http http;

  /** A client configured from {@code LEGATO_API_URL} and {@code LEGATO_API_KEY}. */
  public Client() {
    this(builder());
  }

  private Client(Builder builder) {
    Map<String, String> env = builder.env;
    String url = builder.apiUrl != null ? builder.apiUrl : env.get("LEGATO_API_URL");
    String key = builder.apiKey != null ? builder.apiKey : env.get("LEGATO_API_KEY");
    this.http =
        new Http(
            builder.httpClient != null
                ? builder.httpClient
                : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
            url == null || url.isBlank() ? DEFAULT_URL : url.strip(),
            key == null || key.isBlank() ? null : key.strip(),
            builder.maxRetries,
            builder.backoff,
            builder.requestTimeout,
            new ObjectMapper());
  }

  /** A client configured from {@code LEGATO_API_URL} and {@code LEGATO_API_KEY}. */
  public static Client fromEnv() {
    return new Client();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The API's URL this client sends to. */
  public String apiUrl() {
    return http.baseUrl();
  }

  /** Defines (or redefines: a new version) the workflow; the API's answer ({@code id}, ...). */
  public JsonNode define(Workflow workflow) {
    return define(workflow.toMap());
  }

  /** Defines a workflow from its definition JSON: a Map, a Jackson node, a record... */
  public JsonNode define(Object definition) {
    Objects.requireNonNull(definition, "definition");
    Object body = definition instanceof Workflow wf ? wf.toMap() : definition;
    return http.send(new Call("POST", "/workflow/", body, Map.of(), Safety.REPEATABLE));
  }

  /** Starts a run of {@code workflowId} with {@code input} (any JSON value; null for none). */
  public RunHandle trigger(String workflowId, Object input) {
    return trigger(workflowId, input, null, null);
  }

  /** {@link #trigger(String, Object)} with an idempotency key: the same key, the same run. */
  public RunHandle trigger(String workflowId, Object input, String idempotencyKey) {
    return trigger(workflowId, input, idempotencyKey, null);
  }

  /**
   * Starts a run. {@code idempotencyKey} null: a random one (UUID) for this call, so that its own
   * retries never start two runs. {@code priority} (1 highest .. 5) null: the workflow's.
   */
  public RunHandle trigger(
      String workflowId, Object input, String idempotencyKey, Integer priority) {
    String key = idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("input", input);
    if (priority != null) {
      body.put("priority", priority);
    }
    String path = "/workflow/" + Http.encode(workflowId) + "/trigger";
    JsonNode answer =
        http.send(new Call("POST", path, body, Map.of("Idempotency-Key", key), Safety.KEYED));
    return new RunHandle(this, answer.path("runId").asText());
  }

  /** A handle on run {@code runId} (no request). */
  public RunHandle run(String runId) {
    return new RunHandle(this, Objects.requireNonNull(runId, "runId"));
  }

  /** The run with its steps. */
  public Run get(String runId) {
    return Run.of(http.send(Call.get(runPath(runId))));
  }

  /** {@link #result(String, Duration)} without a timeout. */
  public JsonNode result(String runId) {
    return result(runId, null);
  }

  /**
   * Awaits the end of the run through its event stream (never by polling) and returns its output.
   *
   * @param timeout how long to wait; null waits as long as the run takes
   * @throws RunFailed the run ended FAILED (with its error)
   * @throws RunCancelled the run ended CANCELLED
   * @throws AwaitTimeout the timeout elapsed first
   */
  public JsonNode result(String runId, Duration timeout) {
    String status = null;
    try (EventStream stream = new EventStream(http, runId, 0, timeout)) {
      while (stream.hasNext()) {
        SseParser.Message message = stream.next();
        if (message.event().equals("end")) {
          status = json(message.data()).path("status").asText();
        }
      }
    }
    Run run = get(runId);
    return switch (status == null ? run.status() : status) {
      case "FAILED" -> throw new RunFailed(run);
      case "CANCELLED" -> throw new RunCancelled(run);
      default -> run.output();
    };
  }

  /** The run's events through the stream, from the first, ending after the run ends. */
  public Stream<RunEvent> events(String runId) {
    return events(runId, 0);
  }

  /**
   * The run's events with an id above {@code after}, through the stream, ending once the run has
   * ended and every event was given. Close the stream to stop early (try-with-resources).
   */
  public Stream<RunEvent> events(String runId, long after) {
    EventStream stream = new EventStream(http, runId, after, null);
    Stream<SseParser.Message> messages =
        StreamSupport.stream(
            Spliterators.spliteratorUnknownSize(stream, Spliterator.ORDERED | Spliterator.NONNULL),
            false);
    return messages
        .onClose(stream::close)
        .filter(m -> !m.event().equals("end") && !m.event().equals("message"))
        .map(m -> RunEvent.of(json(m.data())));
  }

  /** Sends the run the signal {@code name}; the API's answer ({@code duplicate}, ...). */
  public JsonNode signal(String runId, String name, Object payload) {
    return signal(runId, name, payload, null);
  }

  /**
   * Sends a signal; with a {@code signalId} it is delivered once however often it is sent, so only
   * then is it retried after a connection error.
   */
  public JsonNode signal(String runId, String name, Object payload, String signalId) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("payload", payload);
    if (signalId != null) {
      body.put("signalId", signalId);
    }
    String path = runPath(runId) + "/signal/" + Http.encode(name);
    Safety safety = signalId != null ? Safety.REPEATABLE : Safety.ONCE;
    return http.send(new Call("POST", path, body, Map.of(), safety));
  }

  /** Cancels the run; the API's answer ({@code runId}, {@code status}, {@code changed}). */
  public JsonNode cancel(String runId) {
    return operate(runId, "cancel");
  }

  /** Retries a FAILED run from where it failed. */
  public JsonNode retry(String runId) {
    return operate(runId, "retry");
  }

  public JsonNode pause(String runId) {
    return operate(runId, "pause");
  }

  public JsonNode resume(String runId) {
    return operate(runId, "resume");
  }

  /** Every run, newest first, across pages. */
  public Stream<RunSummary> listRuns() {
    return listRuns(null, null, null);
  }

  /**
   * Runs, newest first, across pages ({@code nextCursor}), fetched as the stream is read.
   *
   * @param workflowId null: every workflow
   * @param status null: every status; else one status or a comma list
   * @param limit null: no limit; else at most this many runs in all
   */
  public Stream<RunSummary> listRuns(String workflowId, String status, Integer limit) {
    RunPages pages = new RunPages(this::listPage, workflowId, status, limit, MAX_PAGE);
    return StreamSupport.stream(
        Spliterators.spliteratorUnknownSize(pages, Spliterator.ORDERED | Spliterator.NONNULL),
        false);
  }

  private JsonNode listPage(String query) {
    return http.send(Call.get("/workflow/runs?" + query));
  }

  private JsonNode operate(String runId, String operation) {
    return http.send(
        new Call("POST", runPath(runId) + "/" + operation, null, Map.of(), Safety.ONCE));
  }

  private static String runPath(String runId) {
    return "/workflow/run/" + Http.encode(Objects.requireNonNull(runId, "runId"));
  }

  private JsonNode json(String text) {
    try {
      return text.isEmpty() ? NullNode.getInstance() : http.mapper.readTree(text);
    } catch (JsonProcessingException e) {
      throw new LegatoException("an event of the stream is not JSON: " + text, e);
    }
  }

  /** A client's settings; anything not set comes from the environment, then the defaults. */
  public static final class Builder {
    private String apiUrl;
    private String apiKey;
    private int maxRetries = DEFAULT_MAX_RETRIES;
    private Duration requestTimeout = Duration.ofSeconds(30);
    private HttpClient httpClient;
    private Backoff backoff = Backoff.REQUESTS;
    private Map<String, String> env = System.getenv();

    private Builder() {}

    /** Default: {@code LEGATO_API_URL}, else {@code http://localhost:8080}. */
    public Builder apiUrl(String apiUrl) {
      this.apiUrl = apiUrl;
      return this;
    }

    /** Sent as {@code Authorization: Bearer <key>}. Default: {@code LEGATO_API_KEY}, else none. */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    /** Retries of one request after 429, 503, a keyed 409 or a lost answer (default 5). */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0) {
        throw new IllegalArgumentException("maxRetries must be >= 0");
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /** How long one request may take (default 30 s); the event stream has no such limit. */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
      return this;
    }

    /** The JDK client to send with (default: a new one, 10 s connect timeout). */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      return this;
    }

    /** The retries' backoff without Retry-After (tests). */
    Builder backoff(Duration base, Duration cap) {
      this.backoff = new Backoff(base, cap);
      return this;
    }

    /** The environment read for what is not set (tests). */
    Builder environment(Map<String, String> env) {
      this.env = Map.copyOf(env);
      return this;
    }

    public Client build() {
      return new Client(this);
    }
  }
}

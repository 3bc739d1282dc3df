package dev.legato.client.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.legato.client.ApiError;
import dev.legato.client.Client;
import dev.legato.client.Run;
import dev.legato.client.RunEvent;
import dev.legato.client.RunSummary;
import dev.legato.workflow.Ref;
import dev.legato.workflow.Step;
import dev.legato.workflow.Workflow;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * The client conformance driver (conformance/run-client): one JSON command per stdin line, one JSON
 * answer per command on stdout ({@code {"ok": ...}} or {@code {"error": {"type", "status",
 * "message"}}}), logs on stderr only, exit 0 at EOF. Configured by LEGATO_API_URL and
 * LEGATO_API_KEY; the client's default retries. The commands: worker-sdk-java/README.md,
 * "Conformance".
 */
public final class ConformanceClient {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Client client;

  private ConformanceClient(Client client) {
    this.client = client;
  }

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    System.setOut(System.err); // nothing but answers on stdout
    ConformanceClient driver = new ConformanceClient(Client.fromEnv());
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) {
        continue;
      }
      out.println(MAPPER.writeValueAsString(driver.answer(line)));
      out.flush();
    }
  }

  private ObjectNode answer(String line) {
    ObjectNode answer = NODES.objectNode();
    try {
      answer.set("ok", run(MAPPER.readTree(line)));
    } catch (Exception e) {
      ObjectNode error = answer.putObject("error");
      error.put("type", e.getClass().getSimpleName());
      if (e instanceof ApiError api) {
        error.put("status", api.status());
      } else {
        error.putNull("status");
      }
      error.put("message", String.valueOf(e.getMessage()));
      System.err.println("run-client: " + line + " -> " + e);
    }
    return answer;
  }

  private JsonNode run(JsonNode command) {
    String op = command.path("op").asText();
    String runId = command.path("runId").asText(null);
    return switch (op) {
      case "define" -> client.define(command.get("definition"));
      case "defineBuilt" -> client.define(built(command));
      case "trigger" -> trigger(command);
      case "get" -> get(runId);
      case "result" -> {
        JsonNode timeout = command.path("timeoutSeconds");
        Duration limit =
            timeout.isNumber() ? Duration.ofMillis(Math.round(timeout.asDouble() * 1000)) : null;
        yield NODES.objectNode().set("output", client.result(runId, limit));
      }
      case "events" -> events(runId, command.path("after").asLong(0));
      case "signal" ->
          client.signal(
              runId,
              command.path("name").asText(),
              command.path("payload").isMissingNode()
                  ? NullNode.getInstance()
                  : command.get("payload"),
              command.path("signalId").asText(null));
      case "cancel" -> client.cancel(runId);
      case "retry" -> client.retry(runId);
      case "pause" -> client.pause(runId);
      case "resume" -> client.resume(runId);
      case "list" -> list(command);
      default -> throw new IllegalArgumentException("unknown op '" + op + "'");
    };
  }

  private static Workflow built(JsonNode command) {
    String action = command.path("action").asText();
    return Workflow.create(command.path("id").asText())
        .step("first", Step.action(action))
        .step("second", Step.action(action).dependsOn("first").input(Ref.of("steps.first.output")));
  }

  private JsonNode trigger(JsonNode command) {
    JsonNode input = command.path("input");
    JsonNode priority = command.path("priority");
    String runId =
        client
            .trigger(
                command.path("workflowId").asText(),
                input.isMissingNode() ? NullNode.getInstance() : input,
                command.path("idempotencyKey").asText(null),
                priority.isIntegralNumber() ? priority.asInt() : null)
            .runId();
    return NODES.objectNode().put("runId", runId);
  }

  private JsonNode get(String runId) {
    Run run = client.get(runId);
    ObjectNode out = NODES.objectNode();
    out.put("runId", run.runId());
    out.put("workflowId", run.workflowId());
    out.put("status", run.status());
    out.set("output", run.output());
    out.set("error", run.error());
    return out;
  }

  private JsonNode events(String runId, long after) {
    ArrayNode types = NODES.arrayNode();
    try (Stream<RunEvent> events = client.events(runId, after)) {
      events.forEach(e -> types.add(e.type()));
    }
    return NODES.objectNode().set("types", types);
  }

  private JsonNode list(JsonNode command) {
    JsonNode limit = command.path("limit");
    ArrayNode ids = NODES.arrayNode();
    try (Stream<RunSummary> runs =
        client.listRuns(
            command.path("workflowId").asText(null),
            command.path("status").asText(null),
            limit.isIntegralNumber() ? limit.asInt() : null)) {
      runs.forEach(r -> ids.add(r.runId()));
    }
    return NODES.objectNode().set("runIds", ids);
  }
}

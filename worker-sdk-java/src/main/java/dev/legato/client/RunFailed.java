package dev.legato.client;

import com.fasterxml.jackson.databind.JsonNode;

/** The awaited run ended FAILED; {@link #error()} is the run's error ({@code type}, ...). */
public class RunFailed extends LegatoException {
  private static final long serialVersionUID = 1L;

  private final transient Run run;

  public RunFailed(Run run) {
    super(message(run));
    this.run = run;
  }

  private static String message(Run run) {
    JsonNode error = run.error();
    String type = error == null ? "" : error.path("type").asText("");
    String text = error == null ? "" : error.path("message").asText("");
    String step = error == null ? "" : error.path("stepId").asText("");
    return "run "
        + run.runId()
        + " FAILED"
        + (step.isEmpty() ? "" : " at step " + step)
        + (type.isEmpty() ? "" : ": " + type)
        + (text.isEmpty() ? "" : ": " + text);
  }

  /** The run's {@code error} object. */
  public JsonNode error() {
    return run.error();
  }

  public Run run() {
    return run;
  }
}

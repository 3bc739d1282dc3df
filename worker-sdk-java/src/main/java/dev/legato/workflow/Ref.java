package dev.legato.workflow;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Template strings for a step's {@code input} (docs/workflow-definitions.md, "Templates"): a string
 * that is exactly {@code ${<JMESPath expression>}} is replaced by the expression's value when the
 * step runs.
 *
 * <pre>{@code
 * Ref.of("steps.a.output")                    // "${steps.a.output}"
 * Ref.step("reserve-stock", "output.total")   // "${steps.\"reserve-stock\".output.total}"
 * }</pre>
 */
public final class Ref {
  /** A JMESPath unquoted identifier; any other step id is written as a quoted identifier. */
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private Ref() {}

  /** {@code "${" + expression + "}"}. */
  public static String of(String expression) {
    Objects.requireNonNull(expression, "expression");
    if (expression.isBlank()) {
      throw new IllegalArgumentException("a template expression must not be empty");
    }
    return "${" + expression + "}";
  }

  /** The output of step {@code stepId}: {@code ${steps.<id>.output}}. */
  public static String step(String stepId) {
    return step(stepId, "output");
  }

  /**
   * {@code ${steps.<id>.<path>}}, the step id quoted as a JMESPath quoted identifier (a JSON
   * string) unless it is {@code ^[A-Za-z_][A-Za-z0-9_]*$}. {@code path} starts after the id, e.g.
   * {@code output.total} or {@code output[0]}; empty for the step's whole context entry.
   */
  public static String step(String stepId, String path) {
    Objects.requireNonNull(stepId, "stepId");
    Objects.requireNonNull(path, "path");
    String id = IDENTIFIER.matcher(stepId).matches() ? stepId : CanonicalJson.quote(stepId);
    String rest = path.isEmpty() || path.startsWith("[") ? path : "." + path;
    return of("steps." + id + rest);
  }
}

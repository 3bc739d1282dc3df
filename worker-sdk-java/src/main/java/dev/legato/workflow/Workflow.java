package dev.legato.workflow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a workflow definition in the graph format (docs/workflow-definitions.md), the body of
 * {@code POST /workflow/}:
 *
 * <pre>{@code
 * Workflow wf = Workflow.create("hello")
 *     .step("a", Step.action("x"))
 *     .step("b", Step.action("y").dependsOn("a").input(Ref.of("steps.a.output")));
 * client.define(wf);
 * }</pre>
 *
 * <p>A duplicate step id, or a {@code dependsOn} naming a step not added before, throws {@link
 * IllegalArgumentException} at once; the server validates everything else. Each step is copied when
 * it is added: changing the {@link Step} later changes nothing here.
 */
public final class Workflow {
  private final String id;
  private final Map<String, Object> top = new LinkedHashMap<>();
  private final List<Map<String, Object>> steps = new ArrayList<>();
  private final Set<String> stepIds = new HashSet<>();

  private Workflow(String id) {
    this.id = Objects.requireNonNull(id, "id");
  }

  public static Workflow create(String id) {
    return new Workflow(id);
  }

  public String id() {
    return id;
  }

  public Workflow concurrency(Concurrency concurrency) {
    top.put("concurrency", concurrency.toMap());
    return this;
  }

  /** {@code {"key", "limit", "onLimit"}} as a Map. */
  public Workflow concurrency(Map<String, ?> concurrency) {
    top.put("concurrency", new LinkedHashMap<>(concurrency));
    return this;
  }

  /** Work not started beyond which a trigger answers 429. */
  public Workflow maxBacklog(int maxBacklog) {
    top.put("maxBacklog", maxBacklog);
    return this;
  }

  /** The runs' priority (1 highest .. 5) when a trigger gives none. */
  public Workflow priority(int priority) {
    top.put("priority", priority);
    return this;
  }

  /** Appends {@code step} with id {@code stepId}. */
  public Workflow step(String stepId, Step step) {
    Objects.requireNonNull(stepId, "stepId");
    if (stepIds.contains(stepId)) {
      throw new IllegalArgumentException("step id '" + stepId + "' is used twice");
    }
    for (String dependency : step.dependencies()) {
      if (!stepIds.contains(dependency)) {
        throw new IllegalArgumentException(
            "step '"
                + stepId
                + "' depends on '"
                + dependency
                + "', which is not a step added before");
      }
    }
    steps.add(step.toMap(stepId));
    stepIds.add(stepId);
    return this;
  }

  /** The definition as JSON-ready Maps and Lists (a fresh copy each call). */
  public Map<String, Object> toMap() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("id", id);
    map.putAll(top);
    List<Map<String, Object>> copies = new ArrayList<>();
    steps.forEach(s -> copies.add(new LinkedHashMap<>(s)));
    map.put("steps", Collections.unmodifiableList(copies));
    return map;
  }

  /** The definition's canonical JSON text ({@link CanonicalJson}), without a final newline. */
  public String toCanonicalJson() {
    return CanonicalJson.write(toMap());
  }

  @Override
  public String toString() {
    return toCanonicalJson();
  }
}

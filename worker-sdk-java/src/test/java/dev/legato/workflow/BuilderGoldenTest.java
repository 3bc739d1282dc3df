package dev.legato.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.legato.worker.internal.protocol.SchemasDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The builder writes the golden files of tests/conformance/builders byte for byte, as every SDK's
 * builder must; every step kind and field comes from a builder call.
 */
class BuilderGoldenTest {
  private static byte[] golden(String name) throws IOException {
    Path repo = SchemasDir.get().toAbsolutePath().getParent();
    return Files.readAllBytes(repo.resolve("tests/conformance/builders/" + name + ".json"));
  }

  private static void assertGolden(String name, Workflow workflow) throws IOException {
    assertEquals(
        new String(golden(name), StandardCharsets.UTF_8), workflow.toCanonicalJson() + "\n");
    assertEquals(
        Arrays.toString(golden(name)),
        Arrays.toString((workflow.toCanonicalJson() + "\n").getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void hello() throws IOException {
    assertGolden(
        "hello",
        Workflow.create("hello")
            .step("a", Step.action("x"))
            .step("b", Step.action("y").dependsOn("a").input(Ref.of("steps.a.output"))));
  }

  @Test
  void everyKind() throws IOException {
    assertGolden("every-kind", buildEveryKind());
  }

  static Workflow buildEveryKind() {
    Map<String, Object> notify = new LinkedHashMap<>();
    notify.put("express", Ref.of("input.express || `false`"));
    notify.put("lines", Arrays.asList(1, 2.5, null, true, "x"));
    notify.put("note", "Grüße, 東京 ✓");
    return Workflow.create("every-kind")
        .concurrency(Concurrency.of(Ref.of("input.customerId"), 2))
        .maxBacklog(1000)
        .priority(2)
        .step(
            "validate",
            Step.action("validate-order")
                .retry(
                    Retry.create()
                        .maxAttempts(5)
                        .initialDelayMs(200)
                        .backoffCoefficient(1.5)
                        .maxDelayMs(10_000)
                        .jitter(0.25)
                        .nonRetryableErrors("BadOrder"))
                .startToCloseSeconds(30)
                .scheduleToStartSeconds(60)
                .heartbeatSeconds(2.5))
        .step(
            "reserve-stock",
            Step.action("reserve")
                .dependsOn("validate")
                .forEach("steps.validate.output.lines")
                .maxParallel(4)
                .onItemFailure("continue")
                .input(Map.of("sku", Ref.of("item.sku"), "line", Ref.of("index"))))
        .step(
            "fraud",
            Step.action("review-fraud")
                .dependsOn("validate")
                .when("steps.validate.output.total > `500`")
                .input(
                    Map.of(
                        "total", Ref.step("validate", "output.total"),
                        "customer", Ref.of("input.customer"))))
        .step("cool-off", Step.waitSeconds(30).dependsOn("fraud"))
        .step(
            "deadline",
            Step.waitUntil(OffsetDateTime.of(2027, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC))
                .dependsOn("validate"))
        .step(
            "approval",
            Step.signal("approve")
                .timeoutSeconds(3600)
                .defaultValue(Map.of("approved", false))
                .dependsOn("cool-off", "deadline"))
        .step(
            "ship",
            Step.child("shipping")
                .version(2)
                .dependsOn("reserve-stock", "approval")
                .input(
                    Map.of(
                        "stock", Ref.step("reserve-stock"),
                        "approved", Ref.step("approval", "output.approved")))
                .retry(Retry.create().maxAttempts(2)))
        .step("notify", Step.action("email").dependsOn("ship").input(notify));
  }

  @Test
  void aDuplicateIdOrAnUnknownDependencyFailsAtBuildTime() {
    Workflow wf = Workflow.create("w").step("a", Step.action("x"));
    var duplicate =
        assertThrows(IllegalArgumentException.class, () -> wf.step("a", Step.action("y")));
    assertEquals("step id 'a' is used twice", duplicate.getMessage());
    var unknown =
        assertThrows(
            IllegalArgumentException.class, () -> wf.step("b", Step.action("y").dependsOn("zz")));
    assertEquals(
        "step 'b' depends on 'zz', which is not a step added before", unknown.getMessage());
  }

  @Test
  void aFieldOfAnotherKindIsRefused() {
    var e = assertThrows(IllegalStateException.class, () -> Step.waitSeconds(1).forEach("x"));
    assertEquals("forEach does not apply to a wait step", e.getMessage());
    assertThrows(IllegalStateException.class, () -> Step.signal("s").input(1));
  }

  @Test
  void explicitNullsInInputAndDefaultAreKept() {
    Workflow wf =
        Workflow.create("n")
            .step("a", Step.action("x").input(null))
            .step("s", Step.signal("go").timeoutSeconds(1.5).defaultValue(null));
    assertEquals(
        "{\"id\":\"n\",\"steps\":[{\"action\":\"x\",\"id\":\"a\",\"input\":null},"
            + "{\"id\":\"s\",\"signal\":{\"default\":null,\"name\":\"go\",\"timeoutSeconds\":1.5}}]}",
        wf.toCanonicalJson());
  }
}

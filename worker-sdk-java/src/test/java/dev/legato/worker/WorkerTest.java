package dev.legato.worker;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerTest {
  private final Worker worker = new Worker(WorkerSettings.fromEnv(Map.of()));

  @Test
  void acceptsValidActionNames() {
    assertDoesNotThrow(() -> worker.register("step1", p -> p));
    assertDoesNotThrow(() -> worker.register("hand-java", p -> p));
    assertDoesNotThrow(() -> worker.register("charge_card", p -> p));
  }

  @Test
  void rejectsInvalidActionNames() {
    for (String bad : new String[] {"", "1step", "DLT", "a.b", "a b", "x".repeat(101), null}) {
      assertThrows(IllegalArgumentException.class, () -> worker.register(bad, p -> p), bad);
    }
  }

  @Test
  void rejectsADuplicateAction() {
    worker.register("step1", p -> p);
    assertThrows(IllegalArgumentException.class, () -> worker.register("step1", p -> p));
  }

  @Test
  void startWithoutActionsFails() {
    assertThrows(IllegalStateException.class, worker::start);
  }

  @Test
  void stopBeforeStartIsHarmless() {
    worker.stop();
    assertThrows(IllegalStateException.class, worker::start);
  }

  @Test
  void handlerLambdaFromTheReadmeCompiles() {
    worker.register("step1", payload -> "Java processed: " + payload.asText());
  }
}

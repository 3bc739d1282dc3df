package dev.legato.worker.internal.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.worker.internal.consume.StallWatch.Change;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StallWatchTest {
  private static final long S = 1_000_000_000L;
  private static final Map<Integer, Long> AT_3 = Map.of(0, 3L);

  @Test
  void noStallWhileProgressing() {
    StallWatch watch = new StallWatch(30 * S);
    for (long t = 0; t < 20; t++) {
      Change change = watch.observe(t * 5 * S, 10, Map.of(0, t), false, false);
      assertEquals(Change.NONE, change);
    }
    assertFalse(watch.stalled());
  }

  @Test
  void aRecordReceivedCountsAsProgressEvenIfPositionsLookTheSame() {
    StallWatch watch = new StallWatch(10 * S);
    for (long t = 0; t < 10; t++) {
      assertEquals(Change.NONE, watch.observe(t * 5 * S, 4, AT_3, true, false));
    }
  }

  @Test
  void noStallWhileEverySlotIsBusy() {
    StallWatch watch = new StallWatch(10 * S);
    for (long t = 0; t < 10; t++) {
      assertEquals(Change.NONE, watch.observe(t * 5 * S, 4, AT_3, false, true));
    }
  }

  @Test
  void noStallWithNothingBehind() {
    StallWatch watch = new StallWatch(10 * S);
    for (long t = 0; t < 10; t++) {
      assertEquals(Change.NONE, watch.observe(t * 5 * S, 0, AT_3, false, false));
    }
  }

  @Test
  void stallsOnceAfterTheTimeoutThenRecoversOnce() {
    StallWatch watch = new StallWatch(10 * S);
    assertEquals(Change.NONE, watch.observe(0, 5, AT_3, false, false));
    assertEquals(Change.NONE, watch.observe(5 * S, 5, AT_3, false, false));
    assertEquals(Change.STALLED, watch.observe(10 * S, 5, AT_3, false, false));
    assertTrue(watch.stalled());
    assertEquals(10, watch.stallSeconds(10 * S));
    assertEquals(Change.NONE, watch.observe(15 * S, 5, AT_3, false, false));
    assertEquals(Change.NONE, watch.observe(20 * S, 5, AT_3, false, false));
    assertEquals(Change.RECOVERED, watch.observe(25 * S, 1, Map.of(0, 7L), false, false));
    assertFalse(watch.stalled());
    assertEquals(25, watch.stallSeconds(25 * S));
    assertEquals(Change.NONE, watch.observe(30 * S, 1, Map.of(0, 8L), false, false));
  }

  @Test
  void theFirstCheckAfterASilentStretchCountsFromThePreviousCheck() {
    StallWatch watch = new StallWatch(10 * S);
    assertEquals(Change.NONE, watch.observe(0, 0, AT_3, false, false));
    // records arrive at the broker; the fetcher does not move for two checks
    assertEquals(Change.NONE, watch.observe(5 * S, 2, AT_3, false, false));
    assertEquals(Change.NONE, watch.observe(9 * S, 2, AT_3, false, false));
    assertEquals(Change.STALLED, watch.observe(15 * S, 2, AT_3, false, false));
  }

  @Test
  void aRebalanceStartsOver() {
    StallWatch watch = new StallWatch(10 * S);
    watch.observe(0, 5, AT_3, false, false);
    watch.observe(5 * S, 5, AT_3, false, false);
    watch.reset();
    assertEquals(Change.NONE, watch.observe(10 * S, 5, AT_3, false, false));
    assertEquals(Change.NONE, watch.observe(15 * S, 5, AT_3, false, false));
    assertEquals(Change.STALLED, watch.observe(20 * S, 5, AT_3, false, false));
  }

  @Test
  void timeoutZeroNeverStalls() {
    StallWatch watch = new StallWatch(0);
    for (long t = 0; t < 100; t++) {
      assertEquals(Change.NONE, watch.observe(t * 60 * S, 5, AT_3, false, false));
    }
    assertThrows(IllegalArgumentException.class, () -> new StallWatch(-1));
  }
}

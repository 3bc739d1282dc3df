package dev.legato.worker.internal.execute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.ProgressKind;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Heartbeat coalescing on a simulated clock: heartbeat calls at generated times, the worker's timer
 * ticking every 10 ms in between.
 */
class HeartbeatPacerPropertiesTest {
  private static final long TICK = 10;

  /** One record sent: when, what, with which details, and the latest details given by then. */
  private record Sent(long at, ProgressKind kind, String details, String latestGiven) {}

  private static final class Simulation {
    final HeartbeatPacer pacer;
    final List<Sent> sent = new ArrayList<>();
    long now;
    String latest;

    Simulation(long interval, boolean eager) {
      pacer = new HeartbeatPacer(interval);
      if (eager) {
        pacer.requestStart();
        record(pacer.take(now));
      }
    }

    void runUntil(long until) {
      while (now + TICK <= until) {
        now += TICK;
        if (pacer.dueAt() <= now) {
          record(pacer.take(now));
        }
      }
      now = until;
    }

    void beat(String details) {
      if (details != null) {
        latest = details;
      }
      if (pacer.offer(details, now)) {
        record(pacer.take(now)); // the flusher runs at once
      }
    }

    void record(HeartbeatPacer.Emission emission) {
      if (emission != null) {
        sent.add(new Sent(now, emission.kind(), emission.details(), latest));
      }
    }
  }

  @Property
  void coalescedHeartbeatsAreSpacedAndCarryTheLatestDetails(
      @ForAll @IntRange(min = 100, max = 2_000) int interval,
      @ForAll boolean eager,
      @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 0, max = 1_500) Integer> gaps) {
    Simulation sim = new Simulation(interval, eager);
    int n = 0;
    for (int gap : gaps) {
      sim.runUntil(sim.now + gap);
      sim.beat(n % 4 == 3 ? null : "{\"done\":" + n + "}"); // every 4th call gives no details
      n++;
    }
    long lastCall = sim.now;
    sim.runUntil(lastCall + interval + TICK);

    List<Sent> sent = sim.sent;
    assertEquals(ProgressKind.STARTED, sent.get(0).kind(), sent.toString());
    for (int i = 1; i < sent.size(); i++) {
      assertEquals(ProgressKind.HEARTBEAT, sent.get(i).kind(), sent.toString());
    }
    for (Sent s : sent) {
      assertEquals(s.latestGiven(), s.details(), "a record carries the latest details: " + sent);
    }
    // After STARTED and the first heartbeat (at once), records are at least an interval apart.
    int firstPaced = eager ? 2 : 1;
    for (int i = firstPaced + 1; i < sent.size(); i++) {
      long gap = sent.get(i).at() - sent.get(i - 1).at();
      assertTrue(gap >= interval, "records " + gap + " ms apart, interval " + interval + sent);
    }
    long span = lastCall + interval + TICK;
    assertTrue(sent.size() <= 3 + span / interval, sent.size() + " records in " + span + " ms");
    // Nothing is lost: the latest details went out, within an interval (and a tick) of the call.
    Sent last = sent.get(sent.size() - 1);
    assertEquals(sim.latest, last.details());
    assertTrue(last.at() <= lastCall + interval + TICK);
  }

  @Property
  void aFailureSendsThePendingDetailsAndASuccessDropsThem(
      @ForAll @IntRange(min = 100, max = 2_000) int interval,
      @ForAll @IntRange(min = 1, max = 10) int calls,
      @ForAll boolean failed) {
    Simulation sim = new Simulation(interval, true);
    for (int i = 1; i <= calls; i++) {
      sim.runUntil(sim.now + 1); // faster than the interval: only the first goes out at once
      sim.beat("{\"done\":" + i + "}");
    }
    HeartbeatPacer.Emission last = sim.pacer.finish(failed, sim.now);
    if (calls == 1 || !failed) {
      assertNull(last); // nothing pending, or dropped after a success
    } else {
      assertEquals(
          new HeartbeatPacer.Emission(ProgressKind.HEARTBEAT, "{\"done\":" + calls + "}"), last);
    }
    sim.beat("{\"after\":true}");
    sim.runUntil(sim.now + 3L * interval);
    assertNull(sim.pacer.take(sim.now), "nothing after the end");
  }

  @Example
  void startIsLazyUntilRequestedOrTheFirstHeartbeat() {
    HeartbeatPacer pacer = new HeartbeatPacer(HeartbeatPacer.intervalFor(null));
    assertNull(pacer.take(5_000));
    assertEquals(Long.MAX_VALUE, pacer.dueAt());
    assertTrue(pacer.offer("{\"a\":1}", 5_000));
    assertEquals(new HeartbeatPacer.Emission(ProgressKind.STARTED, "{\"a\":1}"), pacer.take(5_000));
    // a heartbeat right after the STARTED that carried details waits for the 10 s interval
    assertTrue(!pacer.offer("{\"a\":2}", 5_001));
    assertEquals(15_000, pacer.dueAt());
  }

  @Example
  void aFailureBeforeTheFlusherRanStillReportsStartedWithTheDetails() {
    HeartbeatPacer pacer = new HeartbeatPacer(500);
    pacer.offer("{\"a\":1}", 0);
    assertEquals(
        new HeartbeatPacer.Emission(ProgressKind.STARTED, "{\"a\":1}"), pacer.finish(true, 1));
  }

  @Example
  void theIntervalIsAThirdOfTheHeartbeatTimeoutAtLeast100MsElse10s() {
    assertEquals(10_000, HeartbeatPacer.intervalFor(null));
    assertEquals(500, HeartbeatPacer.intervalFor(1_500L));
    assertEquals(100, HeartbeatPacer.intervalFor(150L));
    assertEquals(10_000, HeartbeatPacer.intervalFor(30_000L));
  }
}

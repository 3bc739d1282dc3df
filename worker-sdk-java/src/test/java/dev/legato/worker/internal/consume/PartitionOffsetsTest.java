package dev.legato.worker.internal.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {
  @Test
  void nothingToCommitBeforeAnyCompletion() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(10);
    assertEquals(OptionalLong.empty(), offsets.takeCommittable());
    assertEquals(OptionalLong.of(10), offsets.resumePosition());
  }

  @Test
  void neverCommitsPastAnOffsetInFlight() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(10);
    offsets.track(11);
    offsets.track(12);
    offsets.complete(11);
    offsets.complete(12);
    assertEquals(OptionalLong.empty(), offsets.takeCommittable());
    assertEquals(3, offsets.pending());

    offsets.complete(10);
    assertEquals(OptionalLong.of(13), offsets.takeCommittable());
    assertEquals(0, offsets.pending());
  }

  @Test
  void committablePositionMovesOnlyOnce() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(0);
    offsets.track(1);
    offsets.complete(0);
    assertEquals(OptionalLong.of(1), offsets.takeCommittable());
    assertEquals(OptionalLong.empty(), offsets.takeCommittable());
    assertEquals(OptionalLong.of(1), offsets.storedPosition());
    assertEquals(OptionalLong.of(1), offsets.resumePosition());
    offsets.complete(1);
    assertEquals(OptionalLong.of(2), offsets.takeCommittable());
  }

  @Test
  void aFailedCommitIsOfferedAgain() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(0);
    offsets.complete(0);
    assertEquals(OptionalLong.of(1), offsets.takeCommittable());
    offsets.commitFailed(1);
    assertEquals(OptionalLong.of(1), offsets.takeCommittable());
    assertEquals(OptionalLong.empty(), offsets.takeCommittable());
  }

  @Test
  void aFailedCommitOvertakenByALaterOneIsNotOfferedAgain() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(0);
    offsets.track(1);
    offsets.complete(0);
    assertEquals(OptionalLong.of(1), offsets.takeCommittable());
    offsets.complete(1);
    assertEquals(OptionalLong.of(2), offsets.takeCommittable());
    offsets.commitFailed(1);
    assertEquals(OptionalLong.empty(), offsets.takeCommittable());
  }

  @Test
  void offsetGapsFromCompactionOrTransactionsAreFine() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(5);
    offsets.track(9);
    offsets.complete(9);
    offsets.complete(5);
    assertEquals(OptionalLong.of(10), offsets.takeCommittable());
  }

  @Test
  void rejectsOutOfOrderTracking() {
    PartitionOffsets offsets = new PartitionOffsets();
    offsets.track(5);
    assertThrows(IllegalArgumentException.class, () -> offsets.track(5));
    assertThrows(IllegalArgumentException.class, () -> offsets.track(4));
  }
}

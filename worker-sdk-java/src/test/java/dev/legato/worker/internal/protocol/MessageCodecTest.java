package dev.legato.worker.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.legato.protocol.Job;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MessageCodecTest {
  private final MessageCodec codec = new MessageCodec();

  static Job job() {
    return Job.newBuilder()
        .setJobId("j-1")
        .setRunId("r-1")
        .setStepId("0")
        .setAttempt(1)
        .setAction("step1")
        .setPayload("\"hi\"")
        .setWorkflowId("wf")
        .setWorkflowVersion(1)
        .setQueue("workflow-jobs.step1")
        .setCreatedAt(1L)
        .build();
  }

  @Test
  void roundTripsAJob() throws Exception {
    byte[] bytes = codec.encodeJob(job());
    assertEquals((byte) 0xC3, bytes[0]);
    assertEquals((byte) 0x01, bytes[1]);
    assertEquals(job(), codec.decodeJob(bytes));
    assertEquals("v2/Job", codec.writerOf(bytes).ref());
  }

  @Test
  void rejectsBytesWithoutTheHeader() {
    DecodeException e =
        assertThrows(
            DecodeException.class,
            () -> codec.decodeJob("{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("C3 01"), e.getMessage());
    assertThrows(DecodeException.class, () -> codec.decodeJob(null));
    assertThrows(DecodeException.class, () -> codec.decodeJob(new byte[] {(byte) 0xC3, 1}));
  }

  @Test
  void rejectsAnUnknownFingerprint() {
    byte[] bytes = codec.encodeJob(job());
    bytes[5] ^= 0x55;
    DecodeException e = assertThrows(DecodeException.class, () -> codec.decodeJob(bytes));
    assertTrue(e.getMessage().contains("unknown writer schema"), e.getMessage());
  }

  @Test
  void rejectsATruncatedBody() {
    byte[] bytes = codec.encodeJob(job());
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 5);
    assertThrows(DecodeException.class, () -> codec.decodeJob(cut));
  }

  @Test
  void rejectsAResultWhereAJobIsExpected() throws Exception {
    byte[] result =
        java.nio.file.Files.readAllBytes(
            SchemasDir.get().resolve("testdata/result-completed/encoded.bin"));
    DecodeException e = assertThrows(DecodeException.class, () -> codec.decodeJob(result));
    assertTrue(e.getMessage().contains("v1/Result"), e.getMessage());
  }
}

package dev.legato.worker.internal.protocol;

import dev.legato.protocol.Job;
import dev.legato.protocol.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;

/**
 * Avro single-object encoding of {@link Job} and {@link Result}: {@code C3 01}, the writer schema's
 * fingerprint, the datum. Writes with the newest schema version; reads every version in the {@link
 * SchemaCatalog}, resolved to the newest. Thread-safe.
 */
public final class MessageCodec {
  static final int HEADER_LENGTH = 10;
  private static final byte MAGIC_0 = (byte) 0xC3;
  private static final byte MAGIC_1 = (byte) 0x01;

  private final SchemaCatalog catalog;
  private final BinaryMessageEncoder<Job> jobEncoder;
  private final BinaryMessageDecoder<Job> jobDecoder;
  private final BinaryMessageEncoder<Result> resultEncoder;
  private final BinaryMessageDecoder<Result> resultDecoder;

  public MessageCodec() {
    this(SchemaCatalog.get());
  }

  MessageCodec(SchemaCatalog catalog) {
    this.catalog = catalog;
    SpecificData model = SpecificData.getForClass(Job.class);
    jobEncoder = new BinaryMessageEncoder<>(model, Job.getClassSchema());
    jobDecoder = new BinaryMessageDecoder<>(model, Job.getClassSchema());
    catalog.schemasOf("Job").forEach(jobDecoder::addSchema);
    resultEncoder = new BinaryMessageEncoder<>(model, Result.getClassSchema());
    resultDecoder = new BinaryMessageDecoder<>(model, Result.getClassSchema());
    catalog.schemasOf("Result").forEach(resultDecoder::addSchema);
  }

  public byte[] encodeJob(Job job) {
    return encode(jobEncoder, job);
  }

  public byte[] encodeResult(Result result) {
    return encode(resultEncoder, result);
  }

  public Job decodeJob(byte[] data) throws DecodeException {
    return decode(jobDecoder, "Job", data);
  }

  public Result decodeResult(byte[] data) throws DecodeException {
    return decode(resultDecoder, "Result", data);
  }

  /** Which schema version wrote these bytes, e.g. {@code v1/Job}. */
  public SchemaCatalog.Version writerOf(byte[] data) throws DecodeException {
    if (data == null || data.length < HEADER_LENGTH || data[0] != MAGIC_0 || data[1] != MAGIC_1) {
      throw new DecodeException("not Avro single-object encoding (missing C3 01 header)");
    }
    String fp = HexFormat.of().formatHex(Arrays.copyOfRange(data, 2, HEADER_LENGTH));
    return catalog
        .byFingerprint(fp)
        .orElseThrow(() -> new DecodeException("unknown writer schema fingerprint " + fp));
  }

  private static <T> byte[] encode(BinaryMessageEncoder<T> encoder, T datum) {
    try {
      ByteBuffer buffer = encoder.encode(datum);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private <T> T decode(BinaryMessageDecoder<T> decoder, String name, byte[] data)
      throws DecodeException {
    SchemaCatalog.Version writer = writerOf(data);
    if (!writer.name().equals(name)) {
      throw new DecodeException("expected a " + name + " message, got a " + writer.ref());
    }
    try {
      return decoder.decode(data);
    } catch (IOException | RuntimeException e) {
      throw new DecodeException("corrupt " + name + " body: " + e, e);
    }
  }
}

package dev.legato.worker.internal.protocol;

import dev.legato.protocol.Cancel;
import dev.legato.protocol.Job;
import dev.legato.protocol.Progress;
import dev.legato.protocol.Result;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Avro single-object encoding of the protocol's records ({@link Job}, {@link Result}, {@link
 * Progress}, {@link Cancel}): {@code C3 01}, the writer schema's fingerprint, the datum. Writes
 * with the newest schema version (the generated classes); reads every version in the {@link
 * SchemaCatalog}, resolved to the newest (a v1 Job reads as a v2 Job with the new fields null).
 * Thread-safe.
 */
public final class MessageCodec {
  static final int HEADER_LENGTH = 10;
  private static final byte MAGIC_0 = (byte) 0xC3;
  private static final byte MAGIC_1 = (byte) 0x01;

  private final SchemaCatalog catalog;
  private final Codec<Job> jobs;
  private final Codec<Result> results;
  private final Codec<Progress> progress;
  private final Codec<Cancel> cancels;

  public MessageCodec() {
    this(SchemaCatalog.get());
  }

  MessageCodec(SchemaCatalog catalog) {
    this.catalog = catalog;
    SpecificData model = SpecificData.getForClass(Job.class);
    jobs = new Codec<>(model, Job.getClassSchema(), catalog);
    results = new Codec<>(model, Result.getClassSchema(), catalog);
    progress = new Codec<>(model, Progress.getClassSchema(), catalog);
    cancels = new Codec<>(model, Cancel.getClassSchema(), catalog);
  }

  public byte[] encodeJob(Job job) {
    return jobs.encode(job);
  }

  public byte[] encodeResult(Result result) {
    return results.encode(result);
  }

  public byte[] encodeProgress(Progress record) {
    return progress.encode(record);
  }

  public byte[] encodeCancel(Cancel cancel) {
    return cancels.encode(cancel);
  }

  public Job decodeJob(byte[] data) throws DecodeException {
    return decode(jobs, data);
  }

  public Result decodeResult(byte[] data) throws DecodeException {
    return decode(results, data);
  }

  public Progress decodeProgress(byte[] data) throws DecodeException {
    return decode(progress, data);
  }

  public Cancel decodeCancel(byte[] data) throws DecodeException {
    return decode(cancels, data);
  }

  /**
   * A record of the results topic: a {@link Result} or (v2) a {@link Progress}, told apart by the
   * writer schema's fingerprint.
   */
  public SpecificRecord decodeResultsRecord(byte[] data) throws DecodeException {
    SchemaCatalog.Version writer = writerOf(data);
    if (writer.name().equals(progress.name)) {
      return decode(progress, data);
    }
    if (writer.name().equals(results.name)) {
      return decode(results, data);
    }
    throw new DecodeException("expected a Result or Progress message, got a " + writer.ref());
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

  private <T> T decode(Codec<T> codec, byte[] data) throws DecodeException {
    SchemaCatalog.Version writer = writerOf(data);
    if (!writer.name().equals(codec.name)) {
      throw new DecodeException("expected a " + codec.name + " message, got a " + writer.ref());
    }
    try {
      return codec.decoder.decode(data);
    } catch (IOException | RuntimeException e) {
      throw new DecodeException("corrupt " + codec.name + " body: " + e, e);
    }
  }

  /** One record's encoder (newest schema) and decoder (every known version of it). */
  private static final class Codec<T> {
    final String name;
    final BinaryMessageEncoder<T> encoder;
    final BinaryMessageDecoder<T> decoder;

    Codec(SpecificData model, Schema schema, SchemaCatalog catalog) {
      name = schema.getName();
      encoder = new BinaryMessageEncoder<>(model, schema);
      decoder = new BinaryMessageDecoder<>(model, schema);
      catalog.schemasOf(name).forEach(decoder::addSchema);
    }

    byte[] encode(T datum) {
      try {
        ByteBuffer buffer = encoder.encode(datum);
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}

/**
 * Kafka's murmur2 hash and the Java client's default partitioner for keyed records:
 * `toPositive(murmur2(keyBytes)) % numPartitions` (docs/protocol.md: results are keyed by runId,
 * and every SDK must put a run's results on the same partition).
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length % 4;
  if (tail === 3) h ^= (data[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (data[whole + 1] as number) << 8;
  if (tail >= 1) {
    h ^= data[whole] as number;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit. */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition of a keyed record among `partitions`, exactly as the Java client picks it. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}

/**
 * A @platformatic/kafka partitioner. It returns toPositive(murmur2(key)); the client takes it
 * modulo the topic's partition count. Records without a key (dead letters) go round robin.
 */
export function javaPartitioner(): (message: unknown, key?: Buffer) => number {
  let next = 0;
  return (_message, key) => {
    if (Buffer.isBuffer(key)) return toPositive(murmur2(key));
    next = (next + 1) & 0x7fffffff;
    return next;
  };
}

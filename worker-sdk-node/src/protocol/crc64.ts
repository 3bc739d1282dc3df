/**
 * CRC-64-AVRO (the Rabin fingerprint of the Avro specification, "Schema Fingerprints").
 * avsc only offers crypto hashes (md5, sha256), so the 64-bit variant is implemented here.
 */

const MASK = (1n << 64n) - 1n;

/** The fingerprint of the empty input, also the polynomial seed. */
export const CRC64_EMPTY = 0xc15d213aa4d7a795n;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) {
      fp = (fp >> 1n) ^ (CRC64_EMPTY & -(fp & 1n) & MASK);
    }
    table.push(fp);
  }
  return table;
})();

/** The CRC-64-AVRO fingerprint of `data` as an unsigned 64-bit integer. */
export function crc64Avro(data: Uint8Array | string): bigint {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let fp = CRC64_EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] as bigint);
  }
  return fp;
}

/** The fingerprint as the 8 little-endian bytes that follow C3 01 in a single-object encoding. */
export function crc64AvroBytes(data: Uint8Array | string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(data));
  return out;
}

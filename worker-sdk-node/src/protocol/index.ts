/** The Legato wire protocol: message types, the Avro codec, topic names and DLT headers. */

export * as headers from "./headers.js";
export * as topics from "./topics.js";
export { crc64Avro, crc64AvroBytes } from "./crc64.js";
export {
  DecodeError,
  SchemaRegistry,
  decodeJob,
  decodeResult,
  encodeJob,
  encodeResult,
  schemaVersions,
} from "./codec.js";
export type { Failure, Job, Result, ResultStatus } from "./messages.js";

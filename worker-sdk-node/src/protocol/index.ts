/** The Legato wire protocol: message types, the Avro codec, topic names and DLT headers. */

export * as headers from "./headers.js";
export * as topics from "./topics.js";
export { crc64Avro, crc64AvroBytes } from "./crc64.js";
export {
  DecodeError,
  SchemaRegistry,
  decodeCancel,
  decodeJob,
  decodeProgress,
  decodeResult,
  decodeResultsRecord,
  encodeCancel,
  encodeJob,
  encodeProgress,
  encodeResult,
  isProgress,
  schemaVersions,
} from "./codec.js";
export type {
  Cancel,
  Failure,
  Job,
  Progress,
  ProgressKind,
  Result,
  ResultStatus,
  SkipReason,
} from "./messages.js";

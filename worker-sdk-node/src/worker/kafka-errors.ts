/** How the worker tells Kafka client errors apart: fatal, record too large, or transient. */

/** Errors no retry can fix: the worker stops (docs/protocol.md, "Every job gets an answer"). */
const FATAL_API_IDS = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "UNSUPPORTED_SASL_MECHANISM",
  "ILLEGAL_SASL_STATE",
  "PRODUCER_FENCED",
  "INVALID_PRODUCER_EPOCH",
]);
const FATAL_CODES = new Set(["PLT_KFK_AUTHENTICATION"]);

const TOO_LARGE_API_IDS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]);

/** The idempotent producer's sequence state is lost: continue with a new producer id. */
const NEW_PRODUCER_API_IDS = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_ID_MAPPING",
]);

interface Tagged {
  apiId?: unknown;
  code?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** Every error in the tree: nested AggregateError members and causes. */
function* walk(error: unknown, depth = 0): Generator<Tagged> {
  if (typeof error !== "object" || error === null || depth > 8) return;
  const tagged = error as Tagged;
  yield tagged;
  if (Array.isArray(tagged.errors)) {
    for (const nested of tagged.errors) yield* walk(nested, depth + 1);
  }
  if (tagged.cause !== undefined) yield* walk(tagged.cause, depth + 1);
}

function matches(error: unknown, ids: ReadonlySet<string>, codes?: ReadonlySet<string>): boolean {
  for (const e of walk(error)) {
    if (typeof e.apiId === "string" && ids.has(e.apiId)) return true;
    if (codes !== undefined && typeof e.code === "string" && codes.has(e.code)) return true;
  }
  return false;
}

export function isFatalKafkaError(error: unknown): boolean {
  return matches(error, FATAL_API_IDS, FATAL_CODES);
}

export function isTooLarge(error: unknown): boolean {
  return matches(error, TOO_LARGE_API_IDS);
}

export function needsNewProducer(error: unknown): boolean {
  return matches(error, NEW_PRODUCER_API_IDS);
}

/** True when the error tree holds the Kafka error `apiId` (e.g. OFFSET_OUT_OF_RANGE). */
export function hasKafkaError(error: unknown, apiId: string): boolean {
  return matches(error, new Set([apiId]));
}

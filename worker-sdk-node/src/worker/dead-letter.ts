/** Builds the dead letter of an undecodable job: the original bytes, key and headers, plus why. */

import * as headers from "../protocol/headers.js";
import { MAX_DLT_ERROR_MESSAGE_CHARS, truncate } from "./envelope.js";
import type { OutgoingMessage } from "./publisher.js";

export interface IncomingMessage {
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Map<Buffer, Buffer>;
  topic: string;
  partition: number;
  offset: bigint;
}

export function deadLetter(
  message: IncomingMessage,
  error: Error,
  dltTopic: string,
  workerId: string,
  now: number = Date.now(),
): OutgoingMessage {
  const added: [string, string][] = [
    [headers.DLT_REASON, headers.REASON_UNDECODABLE],
    [headers.ERROR_TYPE, error.name],
    [headers.ERROR_MESSAGE, truncate(error.message, MAX_DLT_ERROR_MESSAGE_CHARS)],
    [headers.SOURCE_TOPIC, message.topic],
    [headers.SOURCE_PARTITION, String(message.partition)],
    [headers.SOURCE_OFFSET, String(message.offset)],
    [headers.WORKER_ID, workerId],
    [headers.FAILED_AT, String(now)],
  ];
  const replaced = new Set(added.map(([name]) => name));
  const out = new Map<Buffer, Buffer>();
  for (const [name, value] of message.headers) {
    if (!replaced.has(name.toString("utf8"))) out.set(name, value);
  }
  for (const [name, value] of added) out.set(Buffer.from(name), Buffer.from(value, "utf8"));
  const dead: OutgoingMessage = { topic: dltTopic, headers: out };
  if (message.key !== undefined) dead.key = message.key;
  if (message.value !== undefined) dead.value = message.value;
  return dead;
}

// The signal form of a waiting signal step: its payload box, and what the answer to a send says.

import type { SignalSent } from "../api/types";

export type Payload = { ok: true; value: unknown } | { ok: false; error: string };

/** The payload box: any JSON value; empty sends null (a signal that carries nothing but its arrival). */
export function parseSignalPayload(text: string): Payload {
  if (text.trim() === "") return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `The payload is not valid JSON: ${why}` };
  }
}

/** The optional signal id box: trimmed, empty means "let the server choose one". */
export function signalIdOf(text: string): string | undefined {
  const id = text.trim();
  return id === "" ? undefined : id;
}

export function sentMessage(answer: SignalSent): string {
  return answer.duplicate
    ? `Duplicate: signal ${answer.name} with id ${answer.signalId} was already received; nothing changed.`
    : answer.consumedBy
      ? `Signal ${answer.name} sent (id ${answer.signalId}); step ${answer.consumedBy} took it.`
      : `Signal ${answer.name} sent (id ${answer.signalId}); kept until a step waits for it.`;
}

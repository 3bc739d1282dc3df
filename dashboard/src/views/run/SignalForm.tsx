import { useState } from "react";
import type { FormEvent } from "react";
import { ApiError } from "../../api/http";
import { sendSignal } from "../../api/runs";
import { parseSignalPayload, sentMessage, signalIdOf } from "../../lib/signals";

type State =
  | { step: "idle" }
  | { step: "sending" }
  | { step: "sent"; message: string; duplicate: boolean }
  | { step: "failed"; message: string };

function failure(err: unknown): string {
  if (err instanceof ApiError) return `Not sent (${err.status}): ${err.message}`;
  return `Not sent: ${err instanceof Error ? err.message : String(err)}`;
}

/** A signal step's signal: while the step waits, a form to send it (JSON payload, optional signal id);
 * the answer (sent, or a duplicate of a signal id already received) stays shown after the step moved on. */
export function SignalForm({
  runId,
  name,
  waiting,
  onSent,
}: {
  runId: string;
  name: string;
  waiting: boolean;
  onSent: () => void;
}) {
  const [payload, setPayload] = useState("");
  const [signalId, setSignalId] = useState("");
  const [state, setState] = useState<State>({ step: "idle" });
  const parsed = parseSignalPayload(payload);
  const send = (ev: FormEvent) => {
    ev.preventDefault();
    if (!parsed.ok || state.step === "sending") return;
    setState({ step: "sending" });
    sendSignal(runId, name, parsed.value, signalIdOf(signalId)).then(
      (answer) => {
        setState({ step: "sent", message: sentMessage(answer), duplicate: answer.duplicate });
        onSent();
      },
      (err: unknown) => setState({ step: "failed", message: failure(err) }),
    );
  };
  return (
    <>
      {waiting && (
        <form data-testid="signal-form" onSubmit={send}>
          <h4>
            Send signal <span className="mono">{name}</span>
          </h4>
          <label className="block">
            Payload (JSON; empty sends null)
            <textarea
              data-testid="signal-payload"
              rows={4}
              value={payload}
              onChange={(ev) => setPayload(ev.target.value)}
            />
          </label>
          {!parsed.ok && (
            <p className="bad" data-testid="signal-payload-error">
              {parsed.error}
            </p>
          )}
          <label className="block">
            Signal id (optional: the same id sent twice counts once){" "}
            <input data-testid="signal-id" value={signalId} onChange={(ev) => setSignalId(ev.target.value)} />
          </label>
          <button
            type="submit"
            className="primary"
            data-testid="signal-send"
            disabled={!parsed.ok || state.step === "sending"}
          >
            {state.step === "sending" ? "Sending…" : "Send"}
          </button>
        </form>
      )}
      {state.step === "sent" && (
        <p
          className={state.duplicate ? "note" : undefined}
          data-testid="signal-result"
          data-duplicate={state.duplicate}
        >
          {state.message}
        </p>
      )}
      {state.step === "failed" && (
        <p className="bad" data-testid="signal-error">
          {state.message}
        </p>
      )}
    </>
  );
}

import { splitStack } from "../lib/truncate";
import { JsonValue } from "./JsonValue";

interface StepError {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
  stackTrace?: unknown;
  nonRetryable?: unknown;
}

const SHOWN = new Set(["type", "message", "stack", "stackTrace", "nonRetryable"]);

function text(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v);
}

/** A step's or run's error: type and message first, the stack folded (native <details>). */
export function ErrorView({ error, testId = "error-view" }: { error: unknown; testId?: string }) {
  if (error === null || error === undefined) return null;
  if (typeof error !== "object") {
    return (
      <div className="error" data-testid={testId}>
        <pre>{text(error)}</pre>
      </div>
    );
  }
  const e = error as StepError;
  const stack = splitStack(text(e.stack ?? e.stackTrace));
  const rest = Object.fromEntries(
    Object.entries(error as Record<string, unknown>).filter(([k]) => !SHOWN.has(k)),
  );
  return (
    <div className="error" data-testid={testId}>
      <div className="error-head">
        <strong data-testid="error-type">{text(e.type) || "Error"}</strong>
        {e.nonRetryable === true && <span className="badge tone-muted">non-retryable</span>}
        <span data-testid="error-message">{text(e.message)}</span>
      </div>
      {stack.head && (
        <details data-testid="error-stack">
          <summary>{stack.head}</summary>
          <pre>{stack.rest}</pre>
        </details>
      )}
      {Object.keys(rest).length > 0 && <JsonValue value={rest} limit={1000} testId="error-details" />}
    </div>
  );
}

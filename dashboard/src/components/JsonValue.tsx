import { useState } from "react";
import { DEFAULT_LIMIT, displayText, truncate } from "../lib/truncate";

/** Any value from a run, as text: pretty JSON, cut at `limit` characters with a "show all". */
export function JsonValue({
  value,
  limit = DEFAULT_LIMIT,
  testId = "json-value",
}: {
  value: unknown;
  limit?: number;
  testId?: string;
}) {
  const [all, setAll] = useState(false);
  const cut = truncate(displayText(value), all ? Number.MAX_SAFE_INTEGER : limit);
  return (
    <div className="json" data-testid={testId}>
      <pre>{cut.text}</pre>
      {cut.truncated && (
        <button type="button" className="link" data-testid="show-all" onClick={() => setAll(true)}>
          show all ({cut.hiddenChars.toLocaleString("en-US")} more characters)
        </button>
      )}
    </div>
  );
}

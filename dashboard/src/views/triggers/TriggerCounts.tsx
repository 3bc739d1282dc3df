import type { Trigger } from "../../api/types";
import { formatCount } from "../../lib/format";

/** started / duplicates / dead-lettered, the last in red when there is any. */
export function TriggerCounts({ t }: { t: Trigger }) {
  const { started, duplicates, deadLettered } = t.counts;
  return (
    <>
      <span data-testid="trigger-started" data-count={started}>
        {formatCount(started)}
      </span>
      {" / "}
      <span data-testid="trigger-duplicates" data-count={duplicates}>
        {formatCount(duplicates)}
      </span>
      {" / "}
      <span
        className={deadLettered ? "bad" : undefined}
        data-testid="trigger-dead-lettered"
        data-count={deadLettered}
      >
        {formatCount(deadLettered)}
      </span>
    </>
  );
}

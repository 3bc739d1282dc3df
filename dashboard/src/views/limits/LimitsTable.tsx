import type { ActionLimits } from "../../api/types";
import { formatCount, formatTime } from "../../lib/format";
import { maxConcurrentText, rateText, tokensText } from "../../lib/limits";

/** Each action's limits and what they hold now: jobs in flight, jobs throttled (waiting in PostgreSQL
 * for a slot or a token), rate tokens left; Edit fills the form, Clear… asks to remove them. */
export function LimitsTable({
  limits,
  onEdit,
  onClear,
}: {
  limits: ActionLimits[];
  onEdit: (l: ActionLimits) => void;
  onClear: (l: ActionLimits) => void;
}) {
  return (
    <table className="table" data-testid="limits-table">
      <thead>
        <tr>
          <th>Action</th>
          <th>Max concurrent</th>
          <th>Rate</th>
          <th>In flight</th>
          <th>Throttled</th>
          <th>Tokens</th>
          <th>Updated</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {limits.map((l) => (
          <LimitRow key={l.action} l={l} onEdit={() => onEdit(l)} onClear={() => onClear(l)} />
        ))}
      </tbody>
    </table>
  );
}

function LimitRow({ l, onEdit, onClear }: { l: ActionLimits; onEdit: () => void; onClear: () => void }) {
  return (
    <tr data-testid="limit-row" data-action={l.action}>
      <td className="mono">{l.action}</td>
      <td data-testid="limit-max-concurrent">{maxConcurrentText(l.maxConcurrent)}</td>
      <td data-testid="limit-rate">{rateText(l.rate)}</td>
      <td data-testid="limit-in-flight" data-count={l.inFlight}>
        {formatCount(l.inFlight)}
      </td>
      <td
        className={l.throttled ? "waiting" : undefined}
        data-testid="limit-throttled"
        data-count={l.throttled}
      >
        {formatCount(l.throttled)}
      </td>
      <td data-testid="limit-tokens">{tokensText(l.tokens)}</td>
      <td>{formatTime(l.updatedAt)}</td>
      <td>
        <span className="row-actions">
          <button type="button" className="link" data-testid="limit-edit" onClick={onEdit}>
            Edit
          </button>
          <button type="button" className="link" data-testid="limit-clear" onClick={onClear}>
            Clear…
          </button>
        </span>
      </td>
    </tr>
  );
}

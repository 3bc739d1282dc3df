import { ApiError } from "../api/http";

/** Why something could not be shown: a 404 of an endpoint means this server does not have it yet. */
export function Problem({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.status === 404) {
    return (
      <p className="note" data-testid="not-available">
        {what}: not available on this server ({error.message}).
      </p>
    );
  }
  if (error instanceof ApiError && error.status === 403) {
    return (
      <p className="note bad" data-testid="forbidden">
        {what}: your key lacks the scope for this ({error.message}).
      </p>
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="note bad" data-testid="error-note">
      {what}: {message}
    </p>
  );
}

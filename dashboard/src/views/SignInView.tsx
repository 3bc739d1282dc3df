import { useState } from "react";
import type { FormEvent } from "react";
import { signIn } from "../api/auth";
import type { Session } from "../api/types";

/** Asks for an API key and exchanges it for a session cookie (the key is not kept by the page). */
export function SignInView({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    signIn(key.trim()).then(
      (session) => onSignedIn(session),
      (err: unknown) => {
        setBusy(false);
        setError(err instanceof Error ? err.message : String(err));
      },
    );
  };
  return (
    <main className="signin">
      <form className="panel" data-testid="sign-in" onSubmit={submit}>
        <h1>Legato</h1>
        <p>
          This server requires an API key (created with <code>legato keys create</code>).
        </p>
        <label className="block">
          API key
          <input
            type="password"
            autoComplete="off"
            data-testid="sign-in-key"
            value={key}
            onChange={(ev) => setKey(ev.target.value)}
          />
        </label>
        {error && (
          <p className="bad" data-testid="sign-in-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" data-testid="sign-in-submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}

import { ApiError, del, get, post, setCsrfToken } from "./http";
import type { Session } from "./types";

/** The session state the app starts from. 404: the server has no auth endpoints, so none is needed. */
export async function readSession(): Promise<{ session: Session | null; authRequired: boolean }> {
  try {
    const session = await get<Session>("/auth/session");
    setCsrfToken(session.csrfToken ?? null);
    // 200 without a name: auth is optional and nobody signed in; the API answers anyway.
    return { session: session.name ? session : null, authRequired: session.authRequired ?? false };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { session: null, authRequired: false };
    if (err instanceof ApiError && err.status === 401) {
      return { session: null, authRequired: authRequiredFrom401(err.body) };
    }
    throw err;
  }
}

// A 401 from GET /auth/session means "no session"; whether one is required is in its body when the
// server says so, and otherwise it is: the server asked for credentials.
function authRequiredFrom401(body: unknown): boolean {
  if (body && typeof body === "object" && "authRequired" in body) {
    return Boolean((body as { authRequired: unknown }).authRequired);
  }
  return true;
}

export async function signIn(key: string): Promise<Session> {
  const session = await post<Session>("/auth/session", { key });
  setCsrfToken(session.csrfToken ?? null);
  return session;
}

export async function signOut(): Promise<void> {
  await del<unknown>("/auth/session");
  setCsrfToken(null);
}

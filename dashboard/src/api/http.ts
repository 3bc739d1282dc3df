// The one place that talks HTTP: same-origin cookies, the CSRF token on unsafe requests, and errors
// as values the views can show (a 404 of an endpoint not deployed yet becomes "not available").

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The endpoint (or the object) does not exist on this server. */
  get notFound(): boolean {
    return this.status === 404;
  }
}

/** Called with 401 answers so the app can show the sign-in page. */
let onUnauthorized: () => void = () => undefined;
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const v of value as readonly string[]) params.append(key, v);
    } else {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function failure(response: Response): Promise<ApiError> {
  let body: unknown = null;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    body = await response.json();
    if (body && typeof body === "object") {
      const detail = (body as Record<string, unknown>).detail ?? (body as Record<string, unknown>).error;
      if (typeof detail === "string") message = detail;
      else if (detail !== undefined) message = JSON.stringify(detail);
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(response.status, message, body);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401 && !path.startsWith("/auth/")) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string, query?: Query): Promise<T> => request<T>("GET", withQuery(path, query));
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>("POST", path, body ?? {});
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>("PUT", path, body);
export const del = <T>(path: string): Promise<T> => request<T>("DELETE", path);

// The new endpoints are built alongside the dashboard: read their lists tolerantly (the documented
// key first, then the obvious alternatives) so a renamed envelope does not blank a view.

export function pickList<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    for (const key of [...keys, "items", "rows", "results"]) {
      const value = record[key];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}

export function pickCursor(body: unknown): string | null {
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    const value = record.nextCursor ?? record.cursor ?? null;
    return typeof value === "string" && value ? value : null;
  }
  return null;
}

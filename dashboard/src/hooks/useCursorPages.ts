import { useCallback, useState } from "react";

/** The cursors of the pages seen so far (keyset pagination has no page numbers to jump to). */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const page = cursors.length - 1;
  const cursor = cursors[page] ?? null;
  const next = useCallback((c: string | null) => c && setCursors((cs) => [...cs, c]), []);
  const prev = useCallback(() => setCursors((cs) => (cs.length > 1 ? cs.slice(0, -1) : cs)), []);
  const reset = useCallback(() => setCursors([null]), []);
  return { page, cursor, next, prev, reset };
}

import { useCallback, useEffect, useRef, useState } from "react";

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` when `key` changes and, with `poll` (ms, or a function of the data giving ms or
 * null), again that long after each answer (live views). Answers to superseded requests are dropped.
 */
export function useResource<T>(
  load: () => Promise<T>,
  key: string,
  poll: number | null | ((data: T | undefined) => number | null) = null,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [key, tick]);

  const pollMs = typeof poll === "function" ? poll(data) : poll;
  useEffect(() => {
    if (pollMs === null || loading) return;
    const timer = setTimeout(() => setTick((t) => t + 1), pollMs);
    return () => clearTimeout(timer);
  }, [pollMs, loading, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

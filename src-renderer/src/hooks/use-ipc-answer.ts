import { useCallback, useEffect, useRef, useState } from 'react';
import type { IpcError, IpcResult } from '../../../src-shared/ipc-contract.ts';

/** One request's answer, as a view shows it. */
export interface IpcAnswer<T> {
  /** What main last answered; kept while the request is asked again. */
  value: T | null;
  /** Main's last refusal, or one the view set itself (an action of its own that failed). */
  error: IpcError | null;
  setError: (error: IpcError | null) => void;
  /** Asks again (what it shows changed); a refusal on screen stays until the answer. */
  reload: () => void;
  /** "Try again": clears the refusal, then asks again. */
  retry: () => void;
}

/**
 * Asks main once for `key` (again when it changes, or on reload and retry),
 * and keeps the answer or the refusal; an answer to an older ask is dropped.
 */
export function useIpcAnswer<T>(key: string, request: () => Promise<IpcResult<T>>): IpcAnswer<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [asks, setAsks] = useState(0);
  const requestRef = useRef(request);
  requestRef.current = request;

  useEffect(() => {
    let current = true;
    void requestRef.current().then((answer) => {
      if (!current) return;
      if (answer.ok) setValue(answer.value);
      else setError(answer.error);
    });
    return () => {
      current = false;
    };
  }, [key, asks]);

  const reload = useCallback(() => setAsks((n) => n + 1), []);
  const retry = useCallback(() => {
    setError(null);
    setAsks((n) => n + 1);
  }, []);
  return { value, error, setError, reload, retry };
}

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from '../../../src-shared/api-types.ts';
import type { IpcError, IpcResult } from '../../../src-shared/ipc-contract.ts';

/** A list walked page by page over the API's cursors. */
export interface PagedList<T> {
  items: T[];
  /** 'loading' covers the first page and every next one. */
  status: 'loading' | 'ready' | 'failed';
  error: IpcError | null;
  /** True once the last page is in. */
  complete: boolean;
  /** Fetches the next page; does nothing while one is on its way or after the last. */
  loadMore: () => void;
  /** Starts again from the first page. */
  reload: () => void;
}

/**
 * Infinite scroll over cursors: the first page when `key` changes (null:
 * nothing to list yet), the next on `loadMore`. Answers of an older key are
 * dropped, so switching deploys fast never mixes two lists.
 */
export function usePagedList<T>(
  key: string | null,
  fetchPage: (cursor: string | null) => Promise<IpcResult<Page<T>>>,
): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [status, setStatus] = useState<PagedList<T>['status']>('loading');
  const [error, setError] = useState<IpcError | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [complete, setComplete] = useState(false);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const generation = useRef(0);
  const inFlight = useRef(false);

  const load = useCallback((from: string | null, replace: boolean) => {
    const mine = ++generation.current;
    inFlight.current = true;
    setStatus('loading');
    setError(null);
    void fetchRef.current(from).then((answer) => {
      if (mine !== generation.current) return;
      inFlight.current = false;
      if (!answer.ok) {
        setError(answer.error);
        setStatus('failed');
        return;
      }
      setItems((previous) => (replace ? answer.value.items : [...previous, ...answer.value.items]));
      setCursor(answer.value.nextCursor);
      setComplete(answer.value.nextCursor === null);
      setStatus('ready');
    });
  }, []);

  useEffect(() => {
    setItems([]);
    setCursor(null);
    setComplete(false);
    if (key === null) {
      generation.current++;
      inFlight.current = false;
      return;
    }
    load(null, true);
  }, [key, load]);

  const loadMore = useCallback(() => {
    if (inFlight.current || complete || key === null) return;
    // After a failed page, loadMore retries that page.
    load(cursor, false);
  }, [complete, cursor, key, load]);

  const reload = useCallback(() => {
    if (key !== null) load(null, true);
  }, [key, load]);

  return { items, status, error, complete, loadMore, reload };
}

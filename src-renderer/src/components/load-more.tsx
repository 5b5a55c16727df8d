import { useEffect, useRef } from 'react';
import type { PagedList } from '../hooks/use-paged-list.ts';
import { ErrorNotice } from './error-notice.tsx';

/**
 * The end of an infinite list: a "Load more" button that presses itself
 * when it scrolls into view, so mouse users never see it wait and keyboard
 * users can reach the next page by Tab alone.
 */
export function LoadMore<T>({ list, what }: { list: PagedList<T>; what: string }) {
  const button = useRef<HTMLButtonElement>(null);
  const { loadMore, status, complete } = list;

  useEffect(() => {
    const element = button.current;
    if (!element || status !== 'ready' || complete) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [loadMore, status, complete]);

  if (status === 'failed' && list.error) {
    return <ErrorNotice error={list.error} action={{ label: 'Try again', run: loadMore }} />;
  }
  if (complete) return null;
  return (
    <div className="load-more">
      {status === 'loading' ? (
        <p className="muted" role="status">
          Loading {what}…
        </p>
      ) : (
        <button type="button" ref={button} className="button-quiet" onClick={loadMore}>
          Load more {what}
        </button>
      )}
    </div>
  );
}

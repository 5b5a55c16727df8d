import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef } from 'react';
import type { VersionEntry } from '../../../src-shared/api-types.ts';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatBytes, plural } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';

const ROW_HEIGHT = 32;

/** A version's files, by path: virtualized, with the next page fetched as the end scrolls into view. */
export function VersionFiles({
  target,
  versionId,
  fileCount,
}: {
  target: Target;
  versionId: string;
  fileCount: number;
}) {
  const fetchPage = useCallback(
    (cursor: string | null) => pressdrop['versions.files']({ targetId: target.id, versionId, cursor }),
    [target.id, versionId],
  );
  const files = usePagedList<VersionEntry>(`${target.id}:${versionId}`, fetchPage);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: files.items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.at(-1)?.index ?? -1;
  const { loadMore, status, complete } = files;

  useEffect(() => {
    if (status === 'ready' && !complete && lastShown >= files.items.length - 20) loadMore();
  }, [lastShown, files.items.length, status, complete, loadMore]);

  return (
    <section className="version-files" aria-labelledby="version-files-title">
      <h3 id="version-files-title">
        Files <span className="muted">({plural(fileCount, 'file')})</span>
      </h3>
      {files.status === 'failed' && files.error && (
        <ErrorNotice error={files.error} action={{ label: 'Try again', run: loadMore }} />
      )}
      <div
        className="file-scroller is-short"
        ref={scroller}
        tabIndex={0}
        role="list"
        aria-label={`Files of this version, ${fileCount.toLocaleString()} in all`}
      >
        <div className="file-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const entry = files.items[item.index]!;
            return (
              <div
                key={entry.path}
                role="listitem"
                aria-setsize={fileCount}
                aria-posinset={item.index + 1}
                className={`file-row version-file-row${item.index % 2 ? ' is-odd' : ''}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
              >
                <span className="file-path" title={entry.path}>
                  <span className="file-name">{entry.path}</span>
                </span>
                <span className="muted file-mime">{entry.mime}</span>
                <span className="file-bytes">{formatBytes(entry.size)}</span>
              </div>
            );
          })}
        </div>
        {files.status === 'loading' && (
          <p className="muted load-more" role="status">
            Loading files…
          </p>
        )}
      </div>
    </section>
  );
}

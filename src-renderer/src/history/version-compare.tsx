import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatBytes, plural } from '../format.ts';
import { useFocusOnMount } from '../hooks/use-focus-on-mount.ts';
import { useIpcAnswer } from '../hooks/use-ipc-answer.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import type { DeployRef, VersionRef } from '../store/places.ts';
import { DIFF_KINDS, diffCounts, diffRows, filterDiffRows, type DiffKind, type DiffRow } from './diff-model.ts';

const ROW_HEIGHT = 32;

/** Each kind's mark and word; the word is what is read. */
const KIND_WORDS: Record<DiffKind, { mark: string; word: string }> = {
  added: { mark: '+', word: 'Added' },
  removed: { mark: '−', word: 'Removed' },
  changed: { mark: '~', word: 'Changed' },
};

function sizeText(row: DiffRow): string {
  if (row.kind === 'added') return formatBytes(row.sizeAfter ?? 0);
  if (row.kind === 'removed') return formatBytes(row.sizeBefore ?? 0);
  return row.sizeBefore === row.sizeAfter
    ? `${formatBytes(row.sizeAfter ?? 0)}, same size`
    : `${formatBytes(row.sizeBefore ?? 0)} → ${formatBytes(row.sizeAfter ?? 0)}`;
}

/**
 * Two versions of a deploy compared, older → newer: how many files were
 * added, removed and changed, toggles for each kind, a filter on the path,
 * and every differing file in one virtualized list (20,000 rows keep about
 * 30 in the DOM).
 */
export function VersionCompare({
  target,
  deploy,
  version,
  other,
}: {
  target: Target;
  deploy: DeployRef;
  version: VersionRef;
  other: VersionRef;
}) {
  const [from, to] = other.versionNo < version.versionNo ? [other, version] : [version, other];
  const compare = () =>
    pressdrop['versions.compare']({ targetId: target.id, fromVersionId: from.id, toVersionId: to.id });
  const { value: diff, error, retry } = useIpcAnswer(`${target.id}:${from.id}:${to.id}`, compare);
  const [kinds, setKinds] = useState<ReadonlySet<DiffKind>>(() => new Set(DIFF_KINDS));
  const [query, setQuery] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);

  const rows = useMemo(() => (diff ? diffRows(diff) : []), [diff]);
  const shown = useMemo(() => filterDiffRows(rows, kinds, query), [rows, kinds, query]);
  const counts = diff ? diffCounts(diff) : null;
  const toggle = (kind: DiffKind, on: boolean) =>
    setKinds((current) => {
      const next = new Set(current);
      if (on) next.add(kind);
      else next.delete(kind);
      return next;
    });

  return (
    <section className="version-compare" aria-labelledby="history-title">
      <div className="detail-head">
        <h2 id="history-title" ref={heading} tabIndex={-1}>
          {deploy.name}: <span className="version-no">#{from.versionNo}</span> →{' '}
          <span className="version-no">#{to.versionNo}</span>
        </h2>
      </div>
      {error && !diff && <ErrorNotice error={error} action={{ label: 'Try again', run: retry }} />}
      {!diff && !error && (
        <p className="muted" role="status">
          Comparing the files of #{from.versionNo} and #{to.versionNo}…
        </p>
      )}
      {diff && counts && (
        <>
          <p className="compare-summary" role="status" data-testid="compare-summary">
            From #{from.versionNo} to #{to.versionNo}: <strong>{counts.added.toLocaleString()}</strong> added,{' '}
            <strong>{counts.removed.toLocaleString()}</strong> removed,{' '}
            <strong>{counts.changed.toLocaleString()}</strong> changed, {plural(counts.unchanged, 'file')} the same.
          </p>
          {rows.length === 0 ? (
            <p className="empty-state">Both versions hold the same files, with the same content.</p>
          ) : (
            <>
              <div className="compare-controls">
                <fieldset className="compare-kinds">
                  <legend className="visually-hidden">Show</legend>
                  {DIFF_KINDS.map((kind) => (
                    <label key={kind} className={`check compare-kind kind-${kind}`}>
                      <input
                        type="checkbox"
                        checked={kinds.has(kind)}
                        onChange={(event) => toggle(kind, event.target.checked)}
                      />
                      {KIND_WORDS[kind].word} ({counts[kind].toLocaleString()})
                    </label>
                  ))}
                </fieldset>
                <label className="field compare-filter">
                  <span className="visually-hidden">Filter by path</span>
                  <input
                    type="search"
                    value={query}
                    onChange={(event) => setQuery(event.target.value)}
                    placeholder="Filter by path"
                    autoComplete="off"
                    spellCheck={false}
                  />
                </label>
              </div>
              {shown.length !== rows.length && (
                <p className="muted compare-shown" data-testid="compare-shown">
                  Showing {shown.length.toLocaleString()} of {plural(rows.length, 'differing file')}.
                </p>
              )}
              <DiffList rows={shown} query={query} />
            </>
          )}
        </>
      )}
    </section>
  );
}

/** The differing files shown, virtualized. */
function DiffList({ rows, query }: { rows: DiffRow[]; query: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  // The virtualizer re-reads every key when this function changes: only when the rows do, not on each render.
  const getItemKey = useCallback((index: number) => `${rows[index]!.kind}:${rows[index]!.path}`, [rows]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    getItemKey,
  });
  return (
    <div
      className="file-scroller is-short"
      ref={scroller}
      tabIndex={0}
      role="list"
      aria-label={`Differing files, ${rows.length.toLocaleString()} shown`}
    >
      {rows.length === 0 && (
        <p className="empty">
          {query.trim()
            ? `No differing file matches “${query.trim()}”.`
            : 'Choose at least one of Added, Removed and Changed.'}
        </p>
      )}
      <div className="file-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          return (
            <div
              key={item.key}
              role="listitem"
              aria-setsize={rows.length}
              aria-posinset={item.index + 1}
              data-kind={row.kind}
              className={`file-row diff-row${item.index % 2 ? ' is-odd' : ''}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
            >
              <span className={`diff-kind kind-${row.kind}`}>
                <span className="diff-mark" aria-hidden="true">
                  {KIND_WORDS[row.kind].mark}
                </span>
                {KIND_WORDS[row.kind].word}
              </span>
              <span className="file-path" title={row.path}>
                <span className="file-name">{row.path}</span>
              </span>
              <span className="file-bytes">{sizeText(row)}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}

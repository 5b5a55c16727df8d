import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useMemo, useRef, useState } from 'react';
import type { FileState } from '../../../src-shared/upload-model.ts';
import { formatBytes } from '../format.ts';
import { FILE_STATES, type FileRow } from '../store/run-rows.ts';
import { useRunStore } from '../store/run-store.ts';

/** A file's state as shown: once a run has stopped, files still on their way are simply "not sent". */
type ShownState = FileState | 'stopped';

/** Each state's icon and word; the icon is decoration, the word is what is read. */
const STATE_WORDS: Record<ShownState, { icon: string; word: string }> = {
  queued: { icon: '○', word: 'Queued' },
  hashing: { icon: '◔', word: 'Hashing' },
  waiting: { icon: '◌', word: 'Waiting' },
  uploading: { icon: '↑', word: 'Uploading' },
  retrying: { icon: '↻', word: 'Retrying' },
  done: { icon: '✓', word: 'Done' },
  skipped: { icon: '↷', word: 'Skipped' },
  failed: { icon: '✕', word: 'Failed' },
  stopped: { icon: '–', word: 'Not sent' },
};

const SETTLED: ReadonlySet<FileState> = new Set(['done', 'skipped', 'failed']);

function shownState(state: FileState, runStopped: boolean): ShownState {
  return runStopped && !SETTLED.has(state) ? 'stopped' : state;
}

const ROW_HEIGHT = 34;

function bytesText(state: ShownState, size: number, sentBytes: number | undefined): string {
  if (state === 'uploading' || state === 'retrying') return `${formatBytes(sentBytes ?? 0)} of ${formatBytes(size)}`;
  if (state === 'skipped') return `${formatBytes(size)}, already stored`;
  return formatBytes(size);
}

/** One row, redrawn only when its fields change (rows are mutated in place, so the fields are the props). */
const FileRowView = memo(function FileRowView({
  path,
  state,
  size,
  sentBytes,
  message,
}: Omit<FileRow, 'state'> & { state: ShownState }) {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const base = path.slice(slash + 1);
  const words = STATE_WORDS[state];
  return (
    <>
      <span className={`file-state state-${state}`}>
        <span className="file-state-icon" aria-hidden="true">
          {words.icon}
        </span>
        {words.word}
      </span>
      {/* The folder part gives way first, so the file's own name stays readable; the title has it all. */}
      <span className="file-path" title={path}>
        {dir && <span className="file-dir">{dir}</span>}
        <span className="file-name">{base}</span>
      </span>
      <span className="file-bytes">{bytesText(state, size, sentBytes)}</span>
      {message && (state === 'failed' || state === 'retrying') && <span className="file-message">{message}</span>}
    </>
  );
});

/**
 * Every file of the run, virtualized: 20,000 rows keep about 30 in the
 * DOM. It re-reads the visible rows when the store's row version moves,
 * so a batch costs what is on screen, not what is in the folder.
 */
export function FileList() {
  const rows = useRunStore((state) => state.rows);
  const version = useRunStore((state) => state.rowsVersion);
  const failed = useRunStore((state) => state.rows.counts.failed);
  const stopped = useRunStore((state) => state.status === 'failed');
  const [onlyFailed, setOnlyFailed] = useState(false);
  const scroller = useRef<HTMLDivElement>(null);
  const showFailed = onlyFailed && failed > 0;

  // The filtered paths only when asked for; the full list is read by index, with no copy at all.
  const failedPaths = useMemo(
    () => (showFailed ? rows.filter((row) => row.state === 'failed') : null),
    [rows, showFailed, version],
  );
  const count = failedPaths ? failedPaths.length : rows.size;
  const rowAt = (index: number) => (failedPaths ? rows.get(failedPaths[index]!) : rows.at(index));
  // The virtualizer re-reads every key (all 20,000) whenever this function changes, so it changes only with the
  // list's order: a batch of new states, or a scroll, then costs the visible rows, not the whole folder.
  const orderVersion = rows.orderVersion;
  const getItemKey = useCallback(
    (index: number) => (failedPaths ? failedPaths[index] : rows.at(index)?.path) ?? index,
    [rows, failedPaths, orderVersion],
  );

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey,
  });

  return (
    <section className="file-list" aria-labelledby="file-list-title">
      <div className="file-list-head">
        <h3 id="file-list-title">Files</h3>
        <StateCounts />
        {failed > 0 && (
          <label className="check">
            <input type="checkbox" checked={onlyFailed} onChange={(event) => setOnlyFailed(event.target.checked)} />
            Only failed files
          </label>
        )}
      </div>
      <div
        className="file-scroller"
        ref={scroller}
        tabIndex={0}
        role="list"
        aria-label={`Files, ${count.toLocaleString()} in all`}
      >
        {count === 0 && <p className="empty">The folder’s files appear here as soon as it is scanned.</p>}
        <div className="file-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rowAt(item.index);
            if (!row) return null;
            const state = shownState(row.state, stopped);
            return (
              <div
                key={item.key}
                role="listitem"
                aria-setsize={count}
                aria-posinset={item.index + 1}
                className={`file-row${item.index % 2 ? ' is-odd' : ''}`}
                data-index={item.index}
                data-state={state}
                ref={virtualizer.measureElement}
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <FileRowView
                  path={row.path}
                  state={state}
                  size={row.size}
                  {...(row.sentBytes !== undefined && { sentBytes: row.sentBytes })}
                  {...(row.message !== undefined && { message: row.message })}
                />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

/** How many files are in each state, as a line of counts ("12 done · 3 skipped"). */
function StateCounts() {
  useRunStore((state) => state.rowsVersion);
  const stopped = useRunStore((state) => state.status === 'failed');
  const counts: Partial<Record<ShownState, number>> = {};
  for (const state of FILE_STATES) {
    const shown = shownState(state, stopped);
    counts[shown] = (counts[shown] ?? 0) + useRunStore.getState().rows.counts[state];
  }
  const present = ([...FILE_STATES, 'stopped'] as const).filter((state) => (counts[state] ?? 0) > 0);
  return (
    <ul className="state-counts" aria-label="Files by state">
      {present.map((state) => (
        <li key={state} className={`state-count state-${state}`} data-state-count={state}>
          <span className="file-state-icon" aria-hidden="true">
            {STATE_WORDS[state].icon}
          </span>
          <strong>{counts[state]!.toLocaleString()}</strong> {STATE_WORDS[state].word.toLowerCase()}
        </li>
      ))}
    </ul>
  );
}

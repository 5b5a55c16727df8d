import { useCallback } from 'react';
import type { DeployVersionSummary } from '../../../src-shared/api-types.ts';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { formatBytes, formatTime, plural } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { openHistory } from '../store/app-store.ts';
import type { DeployRef } from '../store/places.ts';

/** A deploy's versions, newest first, over cursors; each row with its files, size and aliases, as the list gives them. */
export function VersionList({ target, deploy }: { target: Target; deploy: DeployRef }) {
  const fetchPage = useCallback(
    (cursor: string | null) => pressdrop['versions.list']({ targetId: target.id, deployId: deploy.id, cursor }),
    [target.id, deploy.id],
  );
  const versions = usePagedList<DeployVersionSummary>(`${target.id}:${deploy.id}`, fetchPage);
  return (
    <>
      <div className="detail-head">
        <h2 id="history-title">
          {deploy.name} {deploy.slug && <span className="heading-aside">{deploy.slug}</span>}
        </h2>
      </div>
      {versions.status === 'failed' && versions.items.length === 0 && versions.error ? (
        <ErrorNotice error={versions.error} action={{ label: 'Try again', run: versions.reload }} />
      ) : (
        <ul className="item-list" aria-label="Versions, newest first">
          {versions.items.map((version) => (
            <li key={version.id}>
              <VersionRow deploy={deploy} version={version} />
            </li>
          ))}
        </ul>
      )}
      {versions.status === 'ready' && versions.complete && versions.items.length === 0 && (
        <p className="empty">This deploy has no versions yet.</p>
      )}
      <LoadMore list={versions} what="versions" />
    </>
  );
}

/** One version: number, title, aliases, time, files and size. */
function VersionRow({ deploy, version }: { deploy: DeployRef; version: DeployVersionSummary }) {
  return (
    <button
      type="button"
      className="item"
      data-testid="version-row"
      onClick={() => openHistory({ deploy, versionId: version.id, versionNo: version.versionNo })}
    >
      <span className="item-main">
        <span className="item-title">
          <span className="version-no">#{version.versionNo}</span>{' '}
          {version.title ?? <span className="muted">No title</span>}
          {version.aliases.map((alias) => (
            <span key={alias} className="chip" data-testid="alias-chip">
              {alias}
            </span>
          ))}
        </span>
        <span className="muted">{formatTime(version.createdAt)}</span>
      </span>
      <span className="item-side">
        <span>{plural(version.fileCount, 'file')}</span>
        <span className="muted">{formatBytes(version.totalBytes)}</span>
      </span>
    </button>
  );
}

import { useCallback, useEffect, useState } from 'react';
import type { DeployVersion, DeployVersionDetail } from '../../../src-shared/api-types.ts';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { formatBytes, formatTime, plural } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { openHistory, type DeployRef } from '../store/app-store.ts';

/** A deploy's versions, newest first, over cursors; each row fills in its files, size and aliases as they arrive. */
export function VersionList({ target, deploy }: { target: Target; deploy: DeployRef }) {
  const fetchPage = useCallback((cursor: string | null) => pressdrop['versions.list']({ targetId: target.id, deployId: deploy.id, cursor }), [target.id, deploy.id]);
  const versions = usePagedList<DeployVersion>(`${target.id}:${deploy.id}`, fetchPage);
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
              <VersionRow target={target} deploy={deploy} version={version} />
            </li>
          ))}
        </ul>
      )}
      {versions.status === 'ready' && versions.complete && versions.items.length === 0 && <p className="empty">This deploy has no versions yet.</p>}
      <LoadMore list={versions} what="versions" />
    </>
  );
}

/** One version: number and time at once; files, size and aliases from its detail. */
function VersionRow({ target, deploy, version }: { target: Target; deploy: DeployRef; version: DeployVersion }) {
  const [detail, setDetail] = useState<DeployVersionDetail | null>(null);
  useEffect(() => {
    let current = true;
    void pressdrop['versions.get']({ targetId: target.id, versionId: version.id }).then((answer) => {
      if (current && answer.ok) setDetail(answer.value);
    });
    return () => {
      current = false;
    };
  }, [target.id, version.id]);

  return (
    <button type="button" className="item" data-testid="version-row" onClick={() => openHistory({ deploy, versionId: version.id, versionNo: version.versionNo })}>
      <span className="item-main">
        <span className="item-title">
          <span className="version-no">#{version.versionNo}</span> {version.title ?? <span className="muted">No title</span>}
          {detail?.aliases.map((alias) => (
            <span key={alias} className="chip">
              {alias}
            </span>
          ))}
        </span>
        <span className="muted">{formatTime(version.createdAt)}</span>
      </span>
      <span className="item-side">
        <span>{detail ? plural(detail.fileCount, 'file') : '…'}</span>
        <span className="muted">{detail ? formatBytes(detail.totalBytes) : ''}</span>
      </span>
    </button>
  );
}

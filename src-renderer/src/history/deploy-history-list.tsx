import { useCallback } from 'react';
import type { Deploy } from '../../../src-shared/api-types.ts';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { formatTime, plural } from '../format.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { openHistory, showView } from '../store/app-store.ts';
import { targetName } from '../target-words.ts';

/** Every deploy of the target, newest first; one opens its versions. */
export function DeployHistoryList({ target }: { target: Target }) {
  const fetchPage = useCallback(
    (cursor: string | null) => pressdrop['deploys.list']({ targetId: target.id, cursor }),
    [target.id],
  );
  const deploys = usePagedList<Deploy>(target.id, fetchPage);
  return (
    <>
      <h2 id="history-title">Deploys on {targetName(target)}</h2>
      {deploys.status === 'failed' && deploys.items.length === 0 && deploys.error ? (
        <ErrorNotice error={deploys.error} action={{ label: 'Try again', run: deploys.reload }} />
      ) : (
        <ul className="item-list" aria-label="Deploys">
          {deploys.items.map((deploy) => (
            <li key={deploy.id}>
              <button
                type="button"
                className="item"
                onClick={() =>
                  openHistory({ deploy: { id: deploy.id, name: deploy.name, slug: deploy.slug }, versionId: null })
                }
              >
                <span className="item-main">
                  <span className="item-title">{deploy.name}</span>
                  <span className="muted">{deploy.slug}</span>
                </span>
                <span className="item-side">
                  <span>{plural(deploy.versionCount, 'version')}</span>
                  <span className="muted">
                    {deploy.latestVersion
                      ? `latest #${deploy.latestVersion.versionNo}, ${formatTime(deploy.latestVersion.createdAt)}`
                      : 'no versions yet'}
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {deploys.status === 'ready' && deploys.complete && deploys.items.length === 0 && (
        <div className="empty-state">
          <p>Nothing is deployed here yet.</p>
          <button type="button" className="button-primary" onClick={() => showView('deploy')}>
            Deploy a folder
          </button>
        </div>
      )}
      <LoadMore list={deploys} what="deploys" />
    </>
  );
}

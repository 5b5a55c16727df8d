import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { DeployVersionSummary } from '../../../src-shared/api-types.ts';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { LoadMore } from '../components/load-more.tsx';
import { formatTime, plural } from '../format.ts';
import { useModalDialog } from '../hooks/use-modal-dialog.ts';
import { usePagedList } from '../hooks/use-paged-list.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import type { DeployRef, VersionRef } from '../store/places.ts';

/**
 * "Compare with…": the deploy's other versions, newest first, as one radio
 * group; the one just before this version is chosen for you (what changed
 * in this deploy), else the newest other one.
 */
export function CompareDialog({
  target,
  deploy,
  version,
  onClose,
  onCompare,
}: {
  target: Target;
  deploy: DeployRef;
  version: VersionRef;
  onClose: () => void;
  onCompare: (other: VersionRef) => void;
}) {
  const dialog = useModalDialog();
  const fetchPage = useCallback(
    (cursor: string | null) => pressdrop['versions.list']({ targetId: target.id, deployId: deploy.id, cursor }),
    [target.id, deploy.id],
  );
  const versions = usePagedList<DeployVersionSummary>(`${target.id}:${deploy.id}`, fetchPage);
  const others = versions.items.filter((item) => item.id !== version.id);
  const [chosen, setChosen] = useState<VersionRef | null>(null);

  useEffect(() => {
    if (chosen || others.length === 0) return;
    const before =
      others.find((item) => item.versionNo === version.versionNo - 1) ??
      others.find((item) => item.versionNo < version.versionNo) ??
      others[0]!;
    setChosen({ id: before.id, versionNo: before.versionNo });
  }, [chosen, others, version.versionNo]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (chosen) onCompare(chosen);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="compare-title" onCancel={onClose}>
      <form onSubmit={submit}>
        <h2 id="compare-title">Compare #{version.versionNo} with…</h2>
        {versions.status === 'failed' && versions.items.length === 0 && versions.error ? (
          <ErrorNotice error={versions.error} action={{ label: 'Try again', run: versions.reload }} />
        ) : (
          <div className="deploy-options compare-options" role="radiogroup" aria-label="Versions to compare with">
            {others.map((item) => (
              <label key={item.id} className={`deploy-option${item.id === chosen?.id ? ' is-selected' : ''}`}>
                <input
                  type="radio"
                  name="compare-with"
                  value={item.id}
                  checked={item.id === chosen?.id}
                  onChange={() => setChosen({ id: item.id, versionNo: item.versionNo })}
                />
                <span className="deploy-option-text">
                  <span className="deploy-option-name">
                    <span className="version-no">#{item.versionNo}</span>{' '}
                    {item.title ?? <span className="muted">No title</span>}
                    {item.aliases.map((alias) => (
                      <span key={alias} className="chip">
                        {alias}
                      </span>
                    ))}
                  </span>
                  <span className="muted">
                    {formatTime(item.createdAt)} · {plural(item.fileCount, 'file')}
                  </span>
                </span>
              </label>
            ))}
            {versions.status === 'ready' && versions.complete && others.length === 0 && (
              <p className="empty">This deploy has no other version to compare with.</p>
            )}
            <LoadMore list={versions} what="versions" />
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" className="button-quiet" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button-primary" disabled={!chosen}>
            {chosen ? `Compare with #${chosen.versionNo}` : 'Compare'}
          </button>
        </div>
      </form>
    </dialog>
  );
}

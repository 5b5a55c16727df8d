import { useState } from 'react';
import type { IpcError, Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatTime } from '../format.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { showView } from '../store/app-store.ts';
import { KIND_NAMES } from '../target-words.ts';

/** Where each service shows its versions, since PressDrop does not list them yet. */
const WHERE_TO_LOOK: Record<Exclude<Target['kind'], 'press-cloud'>, { sentence: string; open: string }> = {
  slideless: {
    sentence: 'Slideless versions are not listed here yet: open the presentation on Slideless to see its versions.',
    open: 'Open presentation',
  },
  cloudflare: {
    sentence:
      'Cloudflare Worker versions are not listed here yet: the Cloudflare dashboard lists each Worker’s versions and deployments.',
    open: 'Open site',
  },
};

/** Where a version is, without its query (a share link's token is for opening it, not for reading off the screen). */
function shownAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '';
  }
}

/**
 * History of a target whose versions PressDrop cannot list (Slideless,
 * Cloudflare): it says so plainly, and shows the version deployed last from
 * here, with a way to open it where the service said it can be seen.
 */
export function PeerHistory({ target }: { target: Target }) {
  const [error, setError] = useState<IpcError | null>(null);
  if (target.kind === 'press-cloud') return null;
  const words = WHERE_TO_LOOK[target.kind];
  const last = target.lastCommitted;
  return (
    <>
      <h2 id="history-title">
        Deploys on {target.name} <span className="muted">({KIND_NAMES[target.kind]})</span>
      </h2>
      <p className="notice notice-info" data-testid="peer-history">
        {words.sentence}
      </p>
      {last ? (
        <div className="card peer-last" data-testid="peer-last">
          <div className="item-main">
            <span className="item-title">
              {last.name} #{last.versionNo}
            </span>
            <span className="muted">
              Deployed last from PressDrop, {formatTime(last.committedAt)}
              {last.displayId.replace(/^#/, '') !== String(last.versionNo) && ` · version ${last.displayId}`}
            </span>
            {last.url && <span className="path">{shownAddress(last.url)}</span>}
          </div>
          {last.url && (
            <button
              type="button"
              className="button-primary"
              onClick={() =>
                void pressdrop['targets.openCommitted']({ targetId: target.id }).then((answer) =>
                  setError(answer.ok ? null : answer.error),
                )
              }
            >
              {words.open}
            </button>
          )}
        </div>
      ) : (
        <div className="empty-state">
          <p>Nothing was deployed here from PressDrop yet.</p>
          <button type="button" className="button-primary" onClick={() => showView('deploy')}>
            Deploy a folder
          </button>
        </div>
      )}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
    </>
  );
}

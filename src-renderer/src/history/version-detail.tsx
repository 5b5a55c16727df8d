import { useEffect, useState } from 'react';
import type { DeployVersionDetail } from '../../../src-shared/api-types.ts';
import type { IpcError, Target } from '../../../src-shared/ipc-contract.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatBytes, formatTime, plural } from '../format.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import type { DeployRef } from '../store/app-store.ts';
import { VersionFiles } from './version-files.tsx';

/** One version: its number, time, files, size, title and aliases, "Open preview", and its file list. */
export function VersionDetail({ target, deploy, versionId }: { target: Target; deploy: DeployRef; versionId: string }) {
  const [detail, setDetail] = useState<DeployVersionDetail | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    void pressdrop['versions.get']({ targetId: target.id, versionId }).then((answer) => {
      if (!current) return;
      if (answer.ok) setDetail(answer.value);
      else setError(answer.error);
    });
    return () => {
      current = false;
    };
  }, [target.id, versionId, attempt]);

  const openPreview = async () => {
    if (!detail || !deploy.slug) return;
    const answer = await pressdrop['versions.openPreview']({ targetId: target.id, deploySlug: deploy.slug, versionNo: detail.versionNo });
    setError(answer.ok ? null : answer.error);
  };

  if (!detail) {
    return error ? (
      <ErrorNotice
        error={error}
        action={{
          label: 'Try again',
          run: () => {
            setError(null);
            setAttempt((n) => n + 1);
          },
        }}
      />
    ) : (
      <p className="muted" role="status">
        Loading the version…
      </p>
    );
  }
  return (
    <>
      <div className="detail-head">
        <h2 id="history-title">
          {deploy.name} <span className="version-no">#{detail.versionNo}</span>
        </h2>
        <button type="button" className="button-primary" onClick={() => void openPreview()} disabled={!deploy.slug}>
          Open preview
        </button>
      </div>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      <dl className="facts">
        <dt>Number</dt>
        <dd>#{detail.versionNo}</dd>
        <dt>Deployed</dt>
        <dd>{formatTime(detail.createdAt)}</dd>
        <dt>Files</dt>
        <dd>{plural(detail.fileCount, 'file')}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(detail.totalBytes)}</dd>
        <dt>Title</dt>
        <dd>{detail.title ?? <span className="muted">none</span>}</dd>
        <dt>Aliases</dt>
        <dd>
          {detail.aliases.length > 0
            ? detail.aliases.map((alias) => (
                <span key={alias} className="chip">
                  {alias}
                </span>
              ))
            : <span className="muted">none</span>}
        </dd>
        <dt>Opens at</dt>
        <dd className="path-inline">{detail.route ?? '/'}</dd>
        <dt>ID</dt>
        <dd className="path-inline">{detail.id}</dd>
      </dl>
      <VersionFiles target={target} versionId={versionId} fileCount={detail.fileCount} />
    </>
  );
}

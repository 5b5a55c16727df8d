import { useState } from 'react';
import type { Target } from '../../../src-shared/ipc-contract.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { ErrorNotice } from '../components/error-notice.tsx';
import { formatBytes, formatTime, plural } from '../format.ts';
import { useIpcAnswer } from '../hooks/use-ipc-answer.ts';
import { useStartRender } from '../hooks/use-start-render.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { openHistory } from '../store/app-store.ts';
import type { DeployRef } from '../store/places.ts';
import { CompareDialog } from './compare-dialog.tsx';
import { PointAliasDialog } from './point-alias-dialog.tsx';
import { RenderJobs } from './render-jobs.tsx';
import { VersionFiles } from './version-files.tsx';

/** The dialog over the version, if any. */
type Open = { kind: 'point' } | { kind: 'compare' } | { kind: 'remove'; alias: string };

/**
 * One version: its number, time, files, size, title and aliases; what can
 * be done with it (open its preview, render it to PDF, point an alias at
 * it, compare it with another); its PDFs; and its file list.
 */
export function VersionDetail({ target, deploy, versionId }: { target: Target; deploy: DeployRef; versionId: string }) {
  const getVersion = () => pressdrop['versions.get']({ targetId: target.id, versionId });
  const { value: detail, error, setError, reload, retry } = useIpcAnswer(`${target.id}:${versionId}`, getVersion);
  const [open, setOpen] = useState<Open | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const render = useStartRender(target.id, versionId);

  const openPreview = async () => {
    if (!detail || !deploy.slug) return;
    const answer = await pressdrop['versions.openPreview']({
      targetId: target.id,
      deploySlug: deploy.slug,
      versionNo: detail.versionNo,
    });
    setError(answer.ok ? null : answer.error);
  };
  /** A dialog changed the aliases: say so, and read the version again. */
  const changed = (message: string) => {
    setOpen(null);
    setDone(message);
    reload();
  };

  if (!detail) {
    return error ? (
      <ErrorNotice error={error} action={{ label: 'Try again', run: retry }} />
    ) : (
      <p className="muted" role="status">
        Loading the version…
      </p>
    );
  }
  const version = { id: detail.id, versionNo: detail.versionNo };
  return (
    <>
      <div className="detail-head">
        <h2 id="history-title">
          {deploy.name} <span className="version-no">#{detail.versionNo}</span>
        </h2>
        <div className="detail-actions" role="group" aria-label="Version actions">
          <button type="button" className="button-primary" onClick={() => void openPreview()} disabled={!deploy.slug}>
            Open preview
          </button>
          <button type="button" onClick={render.start} disabled={render.starting}>
            {render.starting ? 'Starting…' : 'Render PDF'}
          </button>
          <button type="button" onClick={() => setOpen({ kind: 'point' })}>
            Point alias…
          </button>
          <button type="button" onClick={() => setOpen({ kind: 'compare' })}>
            Compare with…
          </button>
        </div>
      </div>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
      {render.error && <ErrorNotice error={render.error} onDismiss={render.dismiss} />}
      {done && (
        <p className="notice notice-info" role="status">
          {done}
        </p>
      )}
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
        <dd className="alias-facts">
          {detail.aliases.length > 0 ? (
            detail.aliases.map((alias) => (
              <span key={alias} className="chip chip-removable">
                {alias}
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove alias ${alias}`}
                  title={`Remove alias ${alias}`}
                  onClick={() => setOpen({ kind: 'remove', alias })}
                >
                  ×
                </button>
              </span>
            ))
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Opens at</dt>
        <dd className="path-inline">{detail.route ?? '/'}</dd>
        <dt>ID</dt>
        <dd className="path-inline">{detail.id}</dd>
      </dl>
      <RenderJobs target={target} versionId={versionId} route={detail.route} />
      <VersionFiles target={target} versionId={versionId} fileCount={detail.fileCount} />

      {open?.kind === 'point' && (
        <PointAliasDialog
          target={target}
          deploy={deploy}
          version={version}
          onClose={() => setOpen(null)}
          onPointed={(alias) => changed(`${alias.name} now points to #${detail.versionNo}.`)}
        />
      )}
      {open?.kind === 'compare' && (
        <CompareDialog
          target={target}
          deploy={deploy}
          version={version}
          onClose={() => setOpen(null)}
          onCompare={(other) => openHistory({ deploy, versionId, versionNo: detail.versionNo, compareWith: other })}
        />
      )}
      {open?.kind === 'remove' && (
        <ConfirmDialog
          title={`Remove alias ${open.alias}?`}
          action={`Remove ${open.alias}`}
          onClose={() => setOpen(null)}
          onConfirm={async () => {
            const answer = await pressdrop['aliases.remove']({
              targetId: target.id,
              deployId: deploy.id,
              name: open.alias,
              expectedVersionId: detail.id,
            });
            if (!answer.ok) return answer.error;
            changed(`${open.alias} was removed.`);
            return null;
          }}
        >
          <p>
            It points to #{detail.versionNo}. Its address
            {deploy.slug && (
              <>
                {' '}
                <span className="path-inline">
                  /preview/{deploy.slug}/{open.alias}/
                </span>
              </>
            )}{' '}
            stops working; the version itself stays.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

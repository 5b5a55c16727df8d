import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { formatBytes, plural } from '../format.ts';
import { PointAliasDialog } from '../history/point-alias-dialog.tsx';
import { RenderJobItem } from '../history/render-job-item.tsx';
import { useStartRender } from '../hooks/use-start-render.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import { openHistory, selectedTarget, useAppStore } from '../store/app-store.ts';
import { useRenderStore, versionRenderJobs } from '../store/render-store.ts';
import { useRunStore } from '../store/run-store.ts';
import { ErrorNotice } from './error-notice.tsx';

/** "a", "a and b", "a, b and c". */
function listWords(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/**
 * The done panel of a committed deploy: what went up, the aliases its
 * press.json pointed, and what to do next: open the preview, render a PDF
 * (its state shown here, live), point an alias, see it in History, or
 * deploy another folder.
 */
export function CommittedPanel({ onLeave }: { onLeave: () => void }) {
  const run = useRunStore((state) => state);
  const targets = useAppStore((state) => state.targets);
  const current = useAppStore(selectedTarget);
  const [error, setError] = useState<IpcError | null>(null);
  const [pointing, setPointing] = useState(false);
  const [pointed, setPointed] = useState<string | null>(null);
  const version = run.committed?.deployVersion ?? null;
  const targetId = run.targetId;
  const target = targets.find((candidate) => candidate.id === targetId) ?? current;
  const render = useStartRender(targetId, version?.id ?? null);
  const jobs = useRenderStore(
    useShallow((state) => (targetId && version ? versionRenderJobs(state, targetId, version.id) : [])),
  );
  if (!version || !run.deploy) return null;
  const deploy = { id: version.deployId, name: run.deploy.name, slug: run.deploy.slug };
  const configAliases = run.pressConfig?.aliases ?? [];

  return (
    <div className="notice notice-success committed-panel" role="status">
      <span className="notice-icon" aria-hidden="true">
        ✓
      </span>
      <div className="notice-body">
        <p className="notice-sentence">
          {deploy.name} is live as version #{version.versionNo}.
        </p>
        <p className="notice-detail">
          {run.totals &&
            `${plural(run.totals.fileCount, 'file')}, ${formatBytes(run.totals.totalBytes)}: ${formatBytes(run.totals.sentBytes)} uploaded, ${formatBytes(run.totals.skippedBytes)} already stored.`}
        </p>
        {configAliases.length > 0 && (
          <ConfigAliases names={configAliases} versionNo={version.versionNo} result={run.aliasesPointed} />
        )}
        {pointed && <p data-testid="pointed-alias">{pointed}</p>}
        <div className="notice-actions">
          {deploy.slug && targetId && (
            <button
              type="button"
              className="button-primary"
              onClick={() =>
                void pressdrop['versions.openPreview']({
                  targetId,
                  deploySlug: deploy.slug!,
                  versionNo: version.versionNo,
                }).then((answer) => setError(answer.ok ? null : answer.error))
              }
            >
              Open preview
            </button>
          )}
          {target && !target.capabilities.versions && run.committed?.previewUrl && (
            <button
              type="button"
              className="button-primary"
              onClick={() =>
                void pressdrop['targets.openCommitted']({ targetId: target.id }).then((answer) =>
                  setError(answer.ok ? null : answer.error),
                )
              }
            >
              {target.kind === 'slideless' ? 'Open presentation' : 'Open site'}
            </button>
          )}
          {target?.capabilities.render && (
            <button type="button" onClick={render.start} disabled={render.starting}>
              {render.starting ? 'Starting…' : 'Render PDF'}
            </button>
          )}
          {target?.capabilities.aliases && (
            <button type="button" onClick={() => setPointing(true)}>
              Point alias…
            </button>
          )}
          {target?.capabilities.versions && (
            <button
              type="button"
              onClick={() => openHistory({ deploy, versionId: version.id, versionNo: version.versionNo })}
            >
              See it in History
            </button>
          )}
          <button type="button" className="button-quiet" onClick={onLeave}>
            Deploy another folder
          </button>
        </div>
        {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
        {render.error && <ErrorNotice error={render.error} onDismiss={render.dismiss} />}
        {jobs.length > 0 && (
          <ul className="item-list render-job-list" aria-label="PDFs of this version">
            {jobs.map((job) => (
              <RenderJobItem key={job.id} job={job} />
            ))}
          </ul>
        )}
      </div>
      {pointing && target && (
        <PointAliasDialog
          target={target}
          deploy={deploy}
          version={{ id: version.id, versionNo: version.versionNo }}
          onClose={() => setPointing(false)}
          onPointed={(alias) => {
            setPointing(false);
            setPointed(`${alias.name} now points to #${version.versionNo}.`);
          }}
        />
      )}
    </div>
  );
}

/** The aliases press.json names: being pointed, pointed, or why not (the version is live either way). */
function ConfigAliases({
  names,
  versionNo,
  result,
}: {
  names: string[];
  versionNo: number;
  result: { pointed: string[]; error: IpcError | null } | null;
}) {
  if (!result)
    return (
      <p data-testid="config-aliases">
        Pointing {listWords(names)} to #{versionNo} (from press.json)…
      </p>
    );
  if (!result.error) {
    return (
      <p data-testid="config-aliases">
        {listWords(result.pointed)} now {result.pointed.length === 1 ? 'points' : 'point'} to #{versionNo} (from
        press.json).
      </p>
    );
  }
  const missed = names.filter((name) => !result.pointed.includes(name));
  return (
    <ErrorNotice
      error={result.error}
      extra={
        <p>{`${listWords(missed)} ${missed.length === 1 ? 'was' : 'were'} not pointed to #${versionNo}; use “Point alias…” to try again.`}</p>
      }
    />
  );
}

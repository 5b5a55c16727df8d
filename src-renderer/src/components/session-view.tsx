import { useRef, useState } from 'react';
import type { IpcError } from '../../../src-shared/ipc-contract.ts';
import { folderName, plural } from '../format.ts';
import { useFocusOnMount } from '../hooks/use-focus-on-mount.ts';
import { pauseSentence } from '../pause-words.ts';
import { refreshResumables, useAppStore } from '../store/app-store.ts';
import { allHashed, isLive } from '../store/run-events.ts';
import { cancelRun, dismissRun, pauseRun, resumeRun, retryRun, useRunStore } from '../store/run-store.ts';
import { CommittedPanel } from './committed-panel.tsx';
import { ErrorNotice } from './error-notice.tsx';
import { FileList } from './file-list.tsx';
import { PhaseSteps } from './phase-steps.tsx';
import { ProgressPanel } from './progress-panel.tsx';
import { targetName } from '../target-words.ts';

/** Failures that the same deploy cannot get past: the way out is another deploy or another folder. */
const CHOOSE_AGAIN = new Set<IpcError['code']>([
  'deploy_slug_conflict',
  'deploy_not_found',
  'empty_folder',
  'scan_problems',
  'invalid_folder',
  'not_a_directory',
  'too_many_files',
  'upload_blob_too_large',
  'upload_session_too_large',
  'cloudflare_too_many_files',
  'cloudflare_asset_too_large',
  'too-many-files',
  'payload-too-large',
]);

/** A deploy under way or just ended: phases, the overall bar, controls, the outcome, and every file. */
export function SessionView() {
  const run = useRunStore((state) => state);
  const targets = useAppStore((state) => state.targets);
  const [error, setError] = useState<IpcError | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnMount(heading);
  const target = targets.find((candidate) => candidate.id === run.targetId);
  const folder = run.folder ?? '';
  const live = isLive(run.status);
  // The engine opens its session before it announces the check phase: a run that stopped with every byte
  // hashed stopped talking to the server, and is shown so.
  const phase = run.status === 'failed' && run.phase === 'hash' && allHashed(run.totals) ? 'check' : run.phase;

  const leave = async (keepFolder: boolean) => {
    await dismissRun();
    if (keepFolder) useAppStore.setState({ folder, folderError: null });
    void refreshResumables();
  };
  const retry = async () => setError(await retryRun());

  return (
    <section className="session" aria-labelledby="session-title">
      <div className="session-head">
        <div className="session-title-block">
          <h2 id="session-title" ref={heading} tabIndex={-1}>
            {run.status === 'committed'
              ? 'Deployed'
              : run.status === 'failed'
                ? 'Stopped deploying'
                : run.status === 'paused'
                  ? 'Paused deploying'
                  : 'Deploying'}{' '}
            “{folderName(folder)}”
          </h2>
          <p className="muted session-sub">
            to <strong>{run.deploy?.name ?? '…'}</strong>
            {target && ` on ${targetName(target)}`}
            {run.resumed && ' · resumed: files already stored are not sent again'}
          </p>
          <p className="path" title={folder}>
            {folder}
          </p>
        </div>
        <div className="session-controls">
          {live && run.status === 'running' && (
            <button type="button" onClick={() => void pauseRun()} disabled={run.action !== null}>
              Pause
            </button>
          )}
          {run.status === 'paused' && (
            <button
              type="button"
              className="button-primary"
              onClick={() => void resumeRun()}
              disabled={run.action !== null}
            >
              Resume
            </button>
          )}
          {live && (
            <button
              type="button"
              className="button-danger"
              onClick={() => void cancelRun()}
              disabled={run.action !== null}
            >
              {run.action === 'cancelling' ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
        </div>
      </div>

      <PhaseSteps phase={phase} status={run.status} />
      <ProgressPanel status={run.status} phase={phase} totals={run.totals} />

      {run.status === 'paused' && (
        <p className="notice notice-info" role="status" data-testid="pause-reason">
          {pauseSentence(run.pauseReasons)}
        </p>
      )}
      {run.status === 'running' && run.lastRetry && run.totals && run.totals.retries > 0 && (
        <p className="notice notice-info" title={run.lastRetry}>
          The server or the network stumbled; PressDrop is retrying by itself (
          {plural(run.totals.retries, 'retry', 'retries')} so far).
        </p>
      )}
      {run.actionError && <ErrorNotice error={run.actionError} />}
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}

      {run.status === 'committed' && run.committed && <CommittedPanel onLeave={() => void leave(false)} />}

      {run.status === 'failed' && run.failure && (
        <ErrorNotice
          error={run.failure.failure}
          extra={
            run.failure.failure.paths &&
            run.failure.failure.paths.length > 0 && <FailurePaths paths={run.failure.failure.paths} />
          }
          action={
            CHOOSE_AGAIN.has(run.failure.failure.code)
              ? {
                  label: run.failure.failure.code.startsWith('deploy_')
                    ? 'Choose another deploy'
                    : 'Choose another folder',
                  run: () => void leave(run.failure!.failure.code.startsWith('deploy_')),
                }
              : {
                  label:
                    run.rows.counts.failed > 0
                      ? `Retry failed files (${run.rows.counts.failed.toLocaleString()})`
                      : 'Try again',
                  run: () => void retry(),
                }
          }
          onDismiss={() => void leave(false)}
          dismissLabel="Back to start"
        />
      )}

      <FileList />
    </section>
  );
}

/** The files a refusal names, the first few of them. */
function FailurePaths({ paths }: { paths: string[] }) {
  const shown = paths.slice(0, 5);
  return (
    <ul className="failure-paths">
      {shown.map((path) => (
        <li key={path} className="path" title={path}>
          {path}
        </li>
      ))}
      {paths.length > shown.length && (
        <li className="muted">…and {plural(paths.length - shown.length, 'more file')}</li>
      )}
    </ul>
  );
}

import type { DeployPhase, DeployTotals } from '../../../src-shared/upload-model.ts';
import { formatBytes, formatDuration, formatSpeed, plural } from '../format.ts';
import { allHashed } from '../store/run-events.ts';
import type { RunStatus } from '../store/run-store.ts';

interface BarState {
  /** null: under way, amount unknown (an indeterminate bar). */
  fraction: number | null;
  headline: string;
}

/** What the bar measures depends on the phase: hashed bytes while hashing, sent bytes while uploading. */
function barState(status: RunStatus, phase: DeployPhase | null, totals: DeployTotals | null): BarState {
  const t = totals;
  if (status === 'committed') {
    return {
      fraction: 1,
      headline:
        t && t.uploadBytes === 0
          ? 'Nothing to upload: the server already had every file'
          : t?.fileCount === 1
            ? 'The file is on the server'
            : `All ${plural(t?.fileCount ?? 0, 'file')} are on the server`,
    };
  }
  if (status === 'failed') return stoppedState(phase, t);
  const prefix = status === 'paused' ? 'Paused · ' : '';
  if (!t || phase === null || phase === 'scan') return { fraction: null, headline: `${prefix}Scanning the folder…` };
  // Held with its local work done: a paused run hashes everything, then waits before it talks to the server.
  if (phase === 'hash' && status === 'paused' && allHashed(t)) {
    return {
      fraction: 0,
      headline: `${prefix}Every file is hashed (${formatBytes(t.totalBytes)}); nothing is sent yet`,
    };
  }
  if (phase === 'hash') {
    return {
      fraction: t.totalBytes > 0 ? t.hashedBytes / t.totalBytes : null,
      headline: `${prefix}Hashing ${formatBytes(t.hashedBytes)} of ${formatBytes(t.totalBytes)}`,
    };
  }
  if (phase === 'check') return { fraction: null, headline: `${prefix}Asking the server which files it already has…` };
  if (phase === 'upload') {
    return {
      fraction: t.uploadBytes > 0 ? t.sentBytes / t.uploadBytes : null,
      headline: `${prefix}Uploading ${formatBytes(t.sentBytes)} of ${formatBytes(t.uploadBytes)}`,
    };
  }
  return { fraction: 1, headline: `${prefix}Committing the version…` };
}

/** A stopped run's bar shows what was sent, and its headline where it stopped. */
function stoppedState(phase: DeployPhase | null, t: DeployTotals | null): BarState {
  const sent = t && t.uploadBytes > 0 ? t.sentBytes / t.uploadBytes : 0;
  const where: Record<DeployPhase, string> = {
    scan: 'Stopped while scanning the folder',
    hash: 'Stopped while hashing the files',
    check: 'Stopped while talking to the server',
    upload: `Stopped after uploading ${formatBytes(t?.sentBytes ?? 0)} of ${formatBytes(t?.uploadBytes ?? 0)}`,
    commit: 'Stopped while committing the version',
  };
  return { fraction: sent, headline: where[phase ?? 'scan'] };
}

/** The overall bar with bytes, speed, time left, bytes skipped (already stored) and retries. */
export function ProgressPanel({
  status,
  phase,
  totals,
}: {
  status: RunStatus;
  phase: DeployPhase | null;
  totals: DeployTotals | null;
}) {
  const { fraction, headline } = barState(status, phase, totals);
  const percent = fraction === null ? null : Math.min(100, Math.max(0, Math.round(fraction * 100)));
  const uploading = status === 'running' && phase === 'upload';
  const finished = status === 'committed' || status === 'failed';
  return (
    <section className="progress-panel" aria-label="Progress">
      <div className="progress-headline">
        <span>{headline}</span>
        {percent !== null && status !== 'committed' && status !== 'failed' && (
          <span className="progress-percent">{percent}%</span>
        )}
      </div>
      <div
        className={`bar is-${status}${percent === null ? ' is-indeterminate' : ''}`}
        role="progressbar"
        aria-label="Deploy progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-valuetext={headline}
      >
        <div className="bar-fill" style={percent === null ? undefined : { width: `${percent}%` }} />
      </div>
      <dl className="stats">
        {finished ? (
          <div>
            <dt>Uploaded</dt>
            <dd>{totals ? formatBytes(totals.sentBytes) : '—'}</dd>
          </div>
        ) : (
          <>
            <div>
              <dt>Speed</dt>
              <dd>{uploading && totals?.bytesPerSecond ? formatSpeed(totals.bytesPerSecond) : '—'}</dd>
            </div>
            <div>
              <dt>Time left</dt>
              <dd>
                {!uploading || !totals
                  ? '—'
                  : totals.etaSeconds != null
                    ? `about ${formatDuration(totals.etaSeconds)}`
                    : 'estimating…'}
              </dd>
            </div>
          </>
        )}
        <div>
          <dt>Already stored</dt>
          <dd data-testid="skipped-bytes">{totals ? `${formatBytes(totals.skippedBytes)} skipped` : '—'}</dd>
        </div>
        <div>
          <dt>Folder</dt>
          <dd>
            {totals && totals.fileCount > 0
              ? `${plural(totals.fileCount, 'file')}, ${formatBytes(totals.totalBytes)}`
              : '—'}
          </dd>
        </div>
        {totals && totals.retries > 0 && (
          <div>
            <dt>Retries</dt>
            <dd>{totals.retries.toLocaleString()}</dd>
          </div>
        )}
      </dl>
    </section>
  );
}

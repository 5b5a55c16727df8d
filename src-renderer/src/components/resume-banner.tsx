import { useState } from 'react';
import type { IpcError, ResumableDeploy } from '../../../src-shared/ipc-contract.ts';
import { folderName, formatBytes, formatTime } from '../format.ts';
import { discardJob, forgetResumable, useAppStore } from '../store/app-store.ts';
import { isLive } from '../store/run-events.ts';
import { resumeJob, useRunStore } from '../store/run-store.ts';
import { KIND_NAMES, targetName } from '../target-words.ts';
import { ErrorNotice } from './error-notice.tsx';

/** Deploys a crash, a quit or a lost connection interrupted, offered for resume with how much is already stored. */
export function ResumeBanner() {
  const jobs = useAppStore((state) => state.resumables);
  const [error, setError] = useState<IpcError | null>(null);
  if (jobs.length === 0) return null;
  return (
    <section className="resume-banner" aria-labelledby="resume-title">
      <h2 id="resume-title">
        {jobs.length === 1 ? 'A deploy was interrupted' : `${jobs.length} deploys were interrupted`}
      </h2>
      <p className="muted">Resume continues where it stopped: what the service already stores is not sent again.</p>
      <ul className="resume-list">
        {jobs.map((job) => (
          <ResumableItem key={job.jobId} job={job} onError={setError} />
        ))}
      </ul>
      {error && <ErrorNotice error={error} onDismiss={() => setError(null)} />}
    </section>
  );
}

function ResumableItem({ job, onError }: { job: ResumableDeploy; onError: (error: IpcError | null) => void }) {
  const targets = useAppStore((state) => state.targets);
  const starting = useRunStore((state) => state.action === 'starting');
  const busy = useRunStore((state) => isLive(state.status));
  const target = targets.find((candidate) => candidate.id === job.targetId);
  const percent = job.totalBytes > 0 ? Math.floor((job.storedBytes / job.totalBytes) * 100) : 0;

  const resume = async () => {
    onError(null);
    const refused = await resumeJob(job);
    if (refused) onError(refused);
    else forgetResumable(job.jobId);
  };
  const discard = async () => onError(await discardJob(job.jobId));

  return (
    <li className="resume-item" data-testid="resumable">
      <div className="resume-text">
        <p className="resume-name">
          <strong>{folderName(job.folder)}</strong> → {job.deploy.name}
          <span className="muted">
            {' '}
            · {target ? targetName(target) : job.apiUrl}
            {job.targetKind !== 'press-cloud' && ` (${KIND_NAMES[job.targetKind]})`}
          </span>
        </p>
        <p className="path" title={job.folder}>
          {job.folder}
        </p>
        <p className="resume-progress">
          {formatBytes(job.storedBytes)} of {formatBytes(job.totalBytes)} stored ({percent}%) · stopped{' '}
          {formatTime(job.updatedAt)}
        </p>
        <div
          className="bar bar-small"
          role="progressbar"
          aria-label={`${folderName(job.folder)} stored`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          <div className="bar-fill" style={{ width: `${percent}%` }} />
        </div>
        {/* An interrupted job's message only says it was stopped; a failed one's says why. */}
        {job.status === 'failed' && job.error && <p className="resume-error">It stopped on an error: {job.error}</p>}
        {!target && (
          <p className="field-error">
            It went to {job.apiUrl}, which is not one of your targets now; resuming it needs that{' '}
            {KIND_NAMES[job.targetKind]} target back in the list.
          </p>
        )}
      </div>
      <div className="resume-actions">
        <button type="button" className="button-primary" onClick={() => void resume()} disabled={starting || busy}>
          Resume
        </button>
        <button type="button" className="button-quiet" onClick={() => void discard()}>
          Discard
        </button>
      </div>
    </li>
  );
}

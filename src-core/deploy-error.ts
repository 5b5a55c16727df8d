import type { DeployFailure } from '../src-shared/upload-model.ts';
import type { DeployJournal, JobStatus } from './deploy-journal.ts';
import type { DeployTarget } from './ports.ts';
import { ServiceError } from './http/service-error.ts';
import { ScanError } from './scan-folder.ts';
import { isSqliteError } from '../src-shared/sqlite.ts';
import { FileChangedError } from './verified-file-body.ts';

/** Why a run ended without a version; `resumable` says whether `pressdrop resume` can pick it up. */
export class DeployError extends Error {
  readonly failure: DeployFailure;
  readonly resumable: boolean;
  constructor(failure: DeployFailure, resumable: boolean) {
    super(failure.message);
    this.failure = failure;
    this.resumable = resumable;
  }
}

/**
 * Sets a job's status as its run ends without a version, and returns the
 * failure to report: a resumable one leaves it `interrupted`; a refusal
 * leaves it `failed` if the job left something on the service that a later
 * run continues (the target says what, and may add a sentence), else
 * `refused` (final).
 */
export function settleFailedJob(
  journal: DeployJournal,
  jobId: string,
  cause: DeployError,
  target: DeployTarget,
): DeployError {
  if (cause.resumable) {
    journal.setStatus(jobId, 'interrupted', cause.message);
    return cause;
  }
  const { leftSomething, note } = target.settleRefusal(journal.targetJournal(jobId), cause.failure);
  const status: JobStatus = leftSomething ? 'failed' : 'refused';
  const failure =
    status === 'failed' && note
      ? new DeployError({ ...cause.failure, message: `${cause.message} ${note}` }, false)
      : cause;
  journal.setStatus(jobId, status, failure.message);
  return failure;
}

/** Errors a new scan and a new session can cure: a file changed under us, or the session ran out. */
export function needsNewPlan(error: unknown): boolean {
  if (error instanceof FileChangedError) return true;
  return (
    error instanceof ServiceError &&
    [
      'upload_session_expired',
      'blob_hash_mismatch',
      'blob_size_mismatch',
      'blobs_missing',
      // Slideless's spelling of the same two.
      'hash-mismatch',
      'blobs-missing',
    ].includes(error.code)
  );
}

/** An error's message, or the thrown value in words. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Any failure as a DeployError: the server's code where there is one; resumable unless retrying cannot help. */
export function toDeployError(error: unknown): DeployError {
  if (error instanceof DeployError) return error;
  if (error instanceof ServiceError)
    return new DeployError({ code: error.code, message: error.message }, error.retryable || error.code === 'aborted');
  if (error instanceof ScanError) return new DeployError({ code: error.code, message: error.message }, false);
  if (error instanceof FileChangedError) {
    return new DeployError(
      {
        code: 'file_changed',
        message: `${error.message} It kept changing; deploy again once it is written.`,
        paths: [error.path],
      },
      true,
    );
  }
  if (isSqliteError(error)) {
    // The journal or the hash cache could not be written: SQLite's words name neither.
    return new DeployError(
      {
        code: 'state_unwritable',
        message: `PressDrop could not write its state files (the deploy journal, the hash cache): ${error.message}. Check that the disk of its state folder has free space and is writable.`,
      },
      true,
    );
  }
  return new DeployError({ code: 'internal_error', message: errorMessage(error) }, true);
}

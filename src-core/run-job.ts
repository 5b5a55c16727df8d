import { realpath } from 'node:fs/promises';
import { DeployError } from './deploy-error.ts';
import { JobUnavailableError, type DeployJournal, type JobRecord, type JobTarget } from './deploy-journal.ts';
import type { DeployPlan } from './ports.ts';

/** A run's job: taken up (`resumed`) or started. */
export interface ClaimedJob {
  job: JobRecord;
  resumed: boolean;
}

/**
 * The job a run works on: the one asked for by id (`pressdrop resume <job>`,
 * the app's resume), else the folder's interrupted job for this target, else
 * a new one. Null when the folder is not there: that is the scan's to report,
 * and there is nothing to journal. A job that cannot be taken up is a
 * `job_unavailable` refusal, in words.
 */
export async function claimJob(
  journal: DeployJournal,
  resumeJobId: string | undefined,
  folder: string,
  target: JobTarget,
): Promise<ClaimedJob | null> {
  if (resumeJobId !== undefined) {
    try {
      return { job: journal.claimJob(resumeJobId), resumed: true };
    } catch (error) {
      if (error instanceof JobUnavailableError)
        throw new DeployError({ code: 'job_unavailable', message: error.message }, false);
      throw error;
    }
  }
  const root = await realpath(folder).catch(() => null);
  return root === null ? null : journal.claim(root, target);
}

/** Journals the plan, if the folder's content is new to the job; the job as it now stands. */
export function recordPlan(journal: DeployJournal, jobId: string, plan: DeployPlan): JobRecord {
  if (journal.job(jobId)!.manifestDigest !== plan.manifestDigest) {
    journal.recordPlan(jobId, {
      manifestDigest: plan.manifestDigest,
      fileCount: plan.files.length,
      totalBytes: plan.totalBytes,
      blobs: plan.blobs,
    });
  }
  return journal.job(jobId)!;
}

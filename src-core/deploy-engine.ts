import { join } from 'node:path';
import { DeployJournal, isJobRunning, type JobProgress, type JobRecord } from './deploy-journal.ts';
import { DeployRun, type DeployOptions } from './deploy-run.ts';
import { HashCache } from './hash-cache.ts';
import { HashPool } from './hash-pool.ts';
import type { DeployTarget, EnginePorts } from './ports.ts';
import { ensurePrivateDir } from './private-files.ts';

/** An interrupted job, as a "resume?" prompt shows it. */
export interface ResumableJob {
  job: JobRecord;
  progress: JobProgress;
}

/**
 * The upload engine: one per process. It owns what deploys share (the hash
 * worker pool, the hash cache, the resume journal) and starts runs.
 */
export class DeployEngine {
  readonly #ports: EnginePorts;
  readonly #journal: DeployJournal;
  readonly #cache: HashCache;
  readonly #pool: HashPool;

  /** Opens the state folder (created 0700, or tightened to it) with its journal and hash cache (0600). */
  constructor(ports: EnginePorts) {
    this.#ports = ports;
    ensurePrivateDir(ports.stateDir);
    this.#journal = DeployJournal.open(join(ports.stateDir, 'journal.sqlite'));
    this.#cache = HashCache.open(join(ports.stateDir, 'hash-cache.sqlite'));
    this.#pool = new HashPool({
      ...(ports.hashWorkerUrl && { workerUrl: ports.hashWorkerUrl }),
      ...(ports.inlineWork && { inline: ports.inlineWork }),
    });
  }

  /** Starts deploying a folder; resumes the folder's interrupted job for the same server and deploy, if there is one. */
  deploy(options: DeployOptions): DeployRun {
    return new DeployRun(options, this.#resources());
  }

  /** Interrupted and failed jobs, newest first, with how far each got; not those a live process is deploying right now. */
  resumableJobs(): ResumableJob[] {
    return this.#journal
      .listResumable()
      .filter((job) => !isJobRunning(job))
      .map((job) => ({ job, progress: this.#journal.progress(job.id) }));
  }

  /** A job of the journal by id, whatever its state (a running or finished one too). */
  job(jobId: string): JobRecord | undefined {
    return this.#journal.job(jobId);
  }

  /**
   * Continues that very job from the journal, to `target`: the job's own
   * (kind, URL and destination; `reopenTarget` rebuilds it), with the
   * credential from the caller, never from the journal.
   */
  resume(jobId: string, target: DeployTarget, overrides: Omit<DeployOptions, 'folder' | 'target'> = {}): DeployRun {
    const job = this.#journal.job(jobId);
    if (!job) throw new Error(`No deploy job ${jobId} in the journal.`);
    if (
      job.targetKind !== target.kind ||
      job.apiUrl !== target.endpoint ||
      job.destination.key !== target.destination.key
    )
      throw new Error(`Deploy job ${jobId} goes to ${job.apiUrl} (${job.destination.name}), not to the target given.`);
    return new DeployRun({ ...overrides, folder: job.folder, target }, this.#resources(), jobId);
  }

  /** Marks a job as given up; it is no longer offered for resume. */
  abandon(jobId: string): void {
    this.#journal.setStatus(jobId, 'abandoned');
  }

  #resources() {
    return { journal: this.#journal, cache: this.#cache, pool: this.#pool, secrets: this.#ports.secrets };
  }

  /** Stops the hash workers and closes the state files. */
  async close(): Promise<void> {
    await this.#pool.destroy();
    this.#cache.close();
    this.#journal.close();
  }
}

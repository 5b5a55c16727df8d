import { join } from 'node:path';
import type { RenderConfig } from '../src-shared/api-types.ts';
import { DeployJournal, type DeployRef, type JobProgress, type JobRecord } from './deploy-journal.ts';
import { DeployRun } from './deploy-run.ts';
import { HashCache } from './hash-cache.ts';
import { HashPool } from './hash-pool.ts';
import type { PressCloudTarget, RetryPolicy } from './press-cloud-client.ts';
import type { EnginePorts } from './ports.ts';

/** What to deploy where, and how hard to push. */
export interface DeployOptions {
  folder: string;
  target: PressCloudTarget;
  deploy: DeployRef;
  render?: RenderConfig;
  /** Blob uploads at once (default 16). */
  concurrency?: number;
  /** Blob bytes in flight at once (default 256 MiB; one larger blob may run alone). */
  maxBytesInFlight?: number;
  /** Abort a request that moves no bytes for this long (default 30 s). */
  stallTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
}

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

  constructor(ports: EnginePorts) {
    this.#ports = ports;
    this.#journal = DeployJournal.open(join(ports.stateDir, 'journal.sqlite'));
    this.#cache = HashCache.open(join(ports.stateDir, 'hash-cache.sqlite'));
    this.#pool = new HashPool(ports.hashWorkerUrl ? { workerUrl: ports.hashWorkerUrl } : {});
  }

  /** Starts deploying a folder; resumes the folder's interrupted job for the same server and deploy, if there is one. */
  deploy(options: DeployOptions): DeployRun {
    return new DeployRun(options, { journal: this.#journal, cache: this.#cache, pool: this.#pool, secrets: this.#ports.secrets });
  }

  /** Interrupted and failed jobs, newest first, with how far each got. */
  resumableJobs(): ResumableJob[] {
    return this.#journal.listResumable().map((job) => ({ job, progress: this.#journal.progress(job.id) }));
  }

  /** Continues a job from the journal; the API key comes from the caller, never from the journal. */
  resume(jobId: string, apiKey: string, overrides: Omit<DeployOptions, 'folder' | 'target' | 'deploy'> = {}): DeployRun {
    const job = this.#journal.job(jobId);
    if (!job) throw new Error(`No deploy job ${jobId} in the journal.`);
    return this.deploy({ ...overrides, folder: job.folder, target: { apiUrl: job.apiUrl, apiKey }, deploy: job.deploy });
  }

  /** Marks a job as given up; it is no longer offered for resume. */
  abandon(jobId: string): void {
    this.#journal.setStatus(jobId, 'abandoned');
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
    this.#cache.close();
    this.#journal.close();
  }
}

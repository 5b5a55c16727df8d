import type { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import { renderJobEnded } from '../src-core/render-watch.ts';
import type { RenderJob } from '../src-shared/api-types.ts';
import type { ErrorCode } from '../src-shared/app-errors.ts';
import type { RenderJobView, RenderProgress } from '../src-shared/ipc-contract.ts';

/** How often main asks the server about the jobs it follows: twice a second, so a state shows within half a second. */
export const RENDER_POLL_MS = 500;

/** At most this many jobs are followed at once (a long list of old unfinished jobs must not become a flood of requests). */
const MAX_WATCHED = 50;

/** A job with its PDF's facts once it succeeded: what the window shows. */
export async function renderJobView(client: PressCloudClient, job: RenderJob): Promise<RenderJobView> {
  return { ...job, pdf: job.status === 'succeeded' && job.pdfId ? await client.getPdf(job.pdfId) : null };
}

/** Errors after which asking again cannot help: the job, or the target it lives on, is gone. */
const GONE: ReadonlySet<string> = new Set([
  'render_job_not_found',
  'target_not_found',
  'missing_api_key',
] satisfies ErrorCode[]);

interface Watched {
  targetId: string;
  /** What the window last heard, to tell a change from the same answer again. */
  seen: string;
}

/** The fields that make a change worth telling the window about. */
function fingerprint(job: RenderJob): string {
  return `${job.status}:${job.attempts}:${job.updatedAt}:${job.nextAttemptAt ?? ''}`;
}

/**
 * Follows render jobs for the window: the ones it started and the unfinished
 * ones it listed. One loop asks the server about each every RENDER_POLL_MS
 * (the next round starts after the last answer, so a slow server is never
 * asked twice at once) and emits `render.progress` when a job changed,
 * until it succeeds or fails. A job the server no longer knows is dropped.
 */
export class RenderWatcher {
  readonly #client: (targetId: string) => Promise<PressCloudClient>;
  readonly #emit: (progress: RenderProgress) => void;
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(client: (targetId: string) => Promise<PressCloudClient>, emit: (progress: RenderProgress) => void) {
    this.#client = client;
    this.#emit = emit;
  }

  /** Follows `job` until it ends; a job that has ended already, or one followed already, changes nothing. */
  watch(targetId: string, job: RenderJob): void {
    if (this.#closed || renderJobEnded(job) || this.#watched.has(job.id) || this.#watched.size >= MAX_WATCHED) return;
    this.#watched.set(job.id, { targetId, seen: fingerprint(job) });
    this.#schedule();
  }

  /** Stops following the jobs of a target (it was removed). */
  forgetTarget(targetId: string): void {
    for (const [jobId, watched] of this.#watched) if (watched.targetId === targetId) this.#watched.delete(jobId);
  }

  /** Stops the loop for good. */
  close(): void {
    this.#closed = true;
    this.#watched.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#timer || this.#closed || this.#watched.size === 0) return;
    this.#timer = setTimeout(() => void this.#round(), RENDER_POLL_MS);
    // Following a render must not keep a quitting app (or a finished test) alive.
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    await Promise.all([...this.#watched].map(([jobId, watched]) => this.#check(jobId, watched)));
    this.#timer = null;
    this.#schedule();
  }

  async #check(jobId: string, watched: Watched): Promise<void> {
    try {
      const client = await this.#client(watched.targetId);
      const job = await client.getRenderJob(jobId);
      const seen = fingerprint(job);
      if (seen === watched.seen || this.#closed) return;
      const view = await renderJobView(client, job);
      if (!this.#watched.has(jobId)) return;
      watched.seen = seen;
      if (renderJobEnded(job)) this.#watched.delete(jobId);
      this.#emit({ targetId: watched.targetId, job: view });
    } catch (error) {
      // A job (or target) that is gone will not come back; anything else (the network, a busy server) is asked again next round.
      if (GONE.has(String((error as { code?: unknown }).code))) this.#watched.delete(jobId);
    }
  }
}

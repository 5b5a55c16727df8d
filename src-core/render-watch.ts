import { setTimeout as delay } from 'node:timers/promises';
import type { RenderJob } from '../src-shared/api-types.ts';

/** What watching a render job needs of a client. */
export interface RenderJobSource {
  getRenderJob(jobId: string): Promise<RenderJob>;
}

/** Whether a job has ended: it will change no more. */
export function renderJobEnded(job: RenderJob): boolean {
  return job.status === 'succeeded' || job.status === 'failed';
}

/**
 * Follows a render job until it succeeds or fails, polling its state;
 * `onChange` hears each new state (and each new attempt or retry time),
 * once. Resolves with the job as it ended; an abort ends the wait (the job
 * itself goes on on the server).
 */
export async function watchRenderJob(
  client: RenderJobSource,
  job: RenderJob,
  options: { onChange?: (job: RenderJob) => void; signal?: AbortSignal; intervalMs?: number } = {},
): Promise<RenderJob> {
  const interval = options.intervalMs ?? 300;
  let current = job;
  let seen = '';
  for (;;) {
    const key = `${current.status}/${current.attempts}/${current.nextAttemptAt ?? ''}`;
    if (key !== seen) {
      seen = key;
      options.onChange?.(current);
    }
    if (renderJobEnded(current)) return current;
    await delay(interval, undefined, { signal: options.signal });
    current = await client.getRenderJob(job.id);
  }
}

/**
 * A render job as the window says it: one line for its state (with the
 * countdown to a retry), and the reason of a failure in words. Pure, so it
 * is tested in Node; the countdown's clock comes in as `now`.
 */
import type { RenderJobView } from '../../../src-shared/ipc-contract.ts';
import { wordError, type ErrorWording } from '../error-words.ts';
import { formatBytes, plural } from '../format.ts';

/** Attempts a job gets in all, as the contract says ("up to 3 attempts in all"). */
export const RENDER_ATTEMPTS = 3;

/** How a job's state looks: its colour and icon follow the tone. */
export type RenderTone = 'waiting' | 'busy' | 'retrying' | 'done' | 'failed';

/** What a render job row shows. */
export interface RenderJobWords {
  tone: RenderTone;
  /** The state in a few words: "Queued", "Rendering (attempt 2 of 3)", "Retrying in 3 s". */
  headline: string;
  /** The PDF's facts once done ("3 pages, 41.2 KiB"). */
  facts: string | null;
  /** Why the last attempt failed (a retry is waiting) or the job failed, in words. */
  reason: ErrorWording | null;
}

/** Time until a retry, as the countdown says it: "in 3 s", rounded up so it never reads "in 0 s" early; "now" once due. */
export function countdownWords(msLeft: number): string {
  if (msLeft <= 0) return 'now';
  const seconds = Math.ceil(msLeft / 1000);
  if (seconds < 60) return `in ${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `in ${minutes} min` : `in ${minutes} min ${rest} s`;
}

/** Whether a job may still change: the countdown and the live state tick only for these. */
export function isRenderLive(job: Pick<RenderJobView, 'status'>): boolean {
  return job.status === 'queued' || job.status === 'rendering' || job.status === 'retry_scheduled';
}

/** The words for a job at time `now` (epoch ms). */
export function renderJobWords(job: RenderJobView, now: number): RenderJobWords {
  const reason = job.error ? wordError(job.error) : null;
  switch (job.status) {
    case 'queued':
      // A job queued again after a failed attempt says which attempt comes next.
      return {
        tone: 'waiting',
        headline: job.attempts > 0 ? `Queued for attempt ${job.attempts + 1} of ${RENDER_ATTEMPTS}` : 'Queued',
        facts: null,
        reason: null,
      };
    case 'rendering':
      return {
        tone: 'busy',
        headline: job.attempts > 1 ? `Rendering (attempt ${job.attempts} of ${RENDER_ATTEMPTS})` : 'Rendering',
        facts: null,
        reason: null,
      };
    case 'retry_scheduled': {
      const when = job.nextAttemptAt === null ? 'soon' : countdownWords(job.nextAttemptAt - now);
      return {
        tone: 'retrying',
        headline: `Attempt ${job.attempts} of ${RENDER_ATTEMPTS} failed; trying again ${when}`,
        facts: null,
        reason,
      };
    }
    case 'succeeded':
      return {
        tone: 'done',
        headline: 'PDF ready',
        facts: job.pdf ? `${plural(job.pdf.pageCount, 'page')}, ${formatBytes(job.pdf.size)}` : null,
        reason: null,
      };
    case 'failed':
      return { tone: 'failed', headline: `Failed after ${plural(job.attempts, 'attempt')}`, facts: null, reason };
  }
}

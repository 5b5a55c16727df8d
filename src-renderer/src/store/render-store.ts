import { create } from 'zustand';
import type { IpcError, RenderJobView, RenderProgress } from '../../../src-shared/ipc-contract.ts';
import { pressdrop } from '../ipc/pressdrop.ts';

/** A render job as the window keeps it: with the target it lives on (job ids are only unique per server). */
export interface KnownRenderJob extends RenderJobView {
  targetId: string;
}

/** Every render job the window has seen (listed, started, or reported by main), by target and id. */
export interface RenderState {
  jobs: Record<string, KnownRenderJob>;
}

/** Render jobs, fed by `renders.list`, `renders.start` and main's `render.progress` events. */
export const useRenderStore = create<RenderState>()(() => ({ jobs: {} }));

const keyOf = (targetId: string, jobId: string) => `${targetId}\u0000${jobId}`;

/** Keeps the newer of two reports of a job: a list answer that left before an event must not undo it. */
function newer(known: KnownRenderJob | undefined, incoming: KnownRenderJob): KnownRenderJob {
  return known && known.updatedAt > incoming.updatedAt ? known : incoming;
}

/** Takes in jobs of a target, as a list or a start answered them. */
export function rememberRenderJobs(targetId: string, jobs: readonly RenderJobView[]): void {
  useRenderStore.setState((state) => {
    const next = { ...state.jobs };
    for (const job of jobs) next[keyOf(targetId, job.id)] = newer(next[keyOf(targetId, job.id)], { ...job, targetId });
    return { jobs: next };
  });
}

/** Applies one `render.progress` from main; called by the single subscription in connect-main.ts. */
export function applyRenderProgress({ targetId, job }: RenderProgress): void {
  rememberRenderJobs(targetId, [job]);
}

/** A version's jobs, newest first. */
export function versionRenderJobs(state: RenderState, targetId: string, versionId: string): KnownRenderJob[] {
  return Object.values(state.jobs)
    .filter((job) => job.targetId === targetId && job.deployVersionId === versionId)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
}

/** Queues a PDF of a version; main follows it from here. Main's refusal, or null. */
export async function startRender(targetId: string, versionId: string): Promise<IpcError | null> {
  const answer = await pressdrop['renders.start']({ targetId, versionId });
  if (!answer.ok) return answer.error;
  rememberRenderJobs(targetId, [answer.value]);
  return null;
}

import { create } from 'zustand';
import type {
  IpcError,
  IpcRequests,
  ResumableDeploy,
  RunAliases,
  RunEvents,
} from '../../../src-shared/ipc-contract.ts';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import { pressdrop } from '../ipc/pressdrop.ts';
import {
  idleRun,
  isLive,
  reduceRunEvents,
  type RunAction,
  type RunDeployLabel,
  type RunOrigin,
  type RunState,
} from './run-events.ts';
import { RunRows } from './run-rows.ts';

export type { RunAction, RunDeployLabel, RunOrigin, RunState, RunStatus } from './run-events.ts';

/** The running (or last) deploy: status, phase, totals and per-file rows, fed by `run.events`. */
export const useRunStore = create<RunState>()(() => ({ ...idleRun(), rows: new RunRows() }));

/** Events that arrived before `deploy.start` answered with their run's id. */
const early = new Map<string, DeployEvent[]>();

/** Applies one batch from main; called by the single `run.events` subscription. */
export function applyRunEvents(batch: RunEvents): void {
  const state = useRunStore.getState();
  if (batch.runId !== state.runId) {
    // Main may send the first batch before the start request's answer arrives; keep it for a moment.
    if (state.action === 'starting') early.set(batch.runId, [...(early.get(batch.runId) ?? []), ...batch.events]);
    return;
  }
  useRunStore.setState(reduceRunEvents(state, batch.events));
}

/** Main pointed press.json's aliases at the run's new version (or could not); called by the single `run.aliases` subscription. */
export function applyRunAliases({ runId, pointed, error }: RunAliases): void {
  if (runId === useRunStore.getState().runId) useRunStore.setState({ aliasesPointed: { pointed, error } });
}

/** Starts a run and makes it the session view's; resolves with main's refusal, or null once it runs. */
async function begin(
  request: () => ReturnType<PressdropApiStart>,
  meta: { folder: string; deploy: RunDeployLabel; origin: RunOrigin },
): Promise<IpcError | null> {
  const state = useRunStore.getState();
  if (state.action === 'starting' || isLive(state.status)) return null;
  early.clear();
  useRunStore.setState({ action: 'starting', actionError: null });
  const answer = await request();
  if (!answer.ok) {
    early.clear();
    useRunStore.setState({ action: null });
    return answer.error;
  }
  const rows = useRunStore.getState().rows;
  rows.clear();
  const started: RunState = {
    ...idleRun(),
    rows,
    status: 'running',
    runId: answer.value.runId,
    folder: answer.value.folder,
    targetId: answer.value.targetId,
    pressConfig: answer.value.pressConfig,
    deploy: meta.deploy,
    origin: meta.origin,
    rowsVersion: useRunStore.getState().rowsVersion + 1,
  };
  const buffered = early.get(answer.value.runId) ?? [];
  early.clear();
  useRunStore.setState({ ...started, ...reduceRunEvents(started, buffered) });
  return null;
}

type PressdropApiStart = (typeof pressdrop)['deploy.start'];

/** Deploys a folder to an existing or new deploy. */
export function startDeploy(
  payload: IpcRequests['deploy.start']['payload'],
  deploy: RunDeployLabel,
): Promise<IpcError | null> {
  return begin(() => pressdrop['deploy.start'](payload), {
    folder: payload.folder,
    deploy,
    origin: { kind: 'start', payload },
  });
}

/** Continues an interrupted deploy from the journal. */
export function resumeJob(job: ResumableDeploy): Promise<IpcError | null> {
  return begin(() => pressdrop['jobs.resume']({ jobId: job.jobId }), {
    folder: job.folder,
    deploy: { name: job.deploy.name, slug: job.deploy.slug, deployId: job.deploy.id },
    origin: { kind: 'job', jobId: job.jobId },
  });
}

async function control(
  action: RunAction,
  call: (runId: string) => Promise<{ ok: true } | { ok: false; error: IpcError }>,
): Promise<void> {
  const { runId } = useRunStore.getState();
  if (!runId) return;
  useRunStore.setState({ action, actionError: null });
  const answer = await call(runId);
  // The status itself changes with the run's own events (paused, resumed, failed), not here.
  useRunStore.setState({ action: null, actionError: answer.ok ? null : answer.error });
}

/** Holds the network for now; hashing goes on. */
export const pauseRun = () => control('pausing', (runId) => pressdrop['deploy.pause']({ runId }));
/** Starts sending again, whatever held the run (the user may know the network is back before the OS does). */
export const resumeRun = () => control('resuming', (runId) => pressdrop['deploy.resume']({ runId }));
/** Stops the run; it stays resumable. */
export const cancelRun = () => control('cancelling', (runId) => pressdrop['deploy.cancel']({ runId }));

/** Runs the failed deploy again: files already stored are skipped, failed ones go up again. */
export async function retryRun(): Promise<IpcError | null> {
  const { origin, folder, deploy } = useRunStore.getState();
  if (!origin || !folder || !deploy) return null;
  // A run started here is found again by deploy.start (same folder, server and deploy); a resumed one by its job id.
  if (origin.kind === 'job')
    return begin(() => pressdrop['jobs.resume']({ jobId: origin.jobId }), { folder, deploy, origin });
  return begin(() => pressdrop['deploy.start'](origin.payload), { folder, deploy, origin });
}

/** Leaves the finished run's view. A failure that retrying cannot cure is not offered for resume again. */
export async function dismissRun(): Promise<void> {
  const { status, failure, jobId } = useRunStore.getState();
  if (isLive(status)) return;
  if (status === 'failed' && failure && !failure.resumable && jobId) await pressdrop['jobs.abandon']({ jobId });
  const rows = useRunStore.getState().rows;
  rows.clear();
  useRunStore.setState({ ...idleRun(), rows, rowsVersion: useRunStore.getState().rowsVersion + 1 });
}

/**
 * The session view's model: one run's state, and how a batch of main's
 * events changes it. Pure, so it is tested in Node; run-store.ts holds it
 * in zustand and talks to main.
 */
import type { DeployVersion } from '../../../src-shared/api-types.ts';
import type { IpcError, IpcRequests, PressConfigView } from '../../../src-shared/ipc-contract.ts';
import type {
  DeployEvent,
  DeployFailure,
  DeployPhase,
  DeployTotals,
  PauseReason,
} from '../../../src-shared/upload-model.ts';
import type { RunRows } from './run-rows.ts';

/** The one state machine of the session view. */
export type RunStatus = 'idle' | 'running' | 'paused' | 'committed' | 'failed';

/** Where a run goes, as the session view names it. */
export interface RunDeployLabel {
  name: string;
  /** Known when the run was started here or created its deploy; else read from the preview URL once committed. */
  slug: string | null;
  deployId: string | null;
}

/** How a run can be started again: the same `deploy.start` (the engine finds its journaled job), or the same job. */
export type RunOrigin =
  { kind: 'start'; payload: IpcRequests['deploy.start']['payload'] } | { kind: 'job'; jobId: string };

/** A control request waiting for main's answer; its button waits with it. */
export type RunAction = 'starting' | 'pausing' | 'resuming' | 'cancelling';

/** What the session view draws. */
export interface RunState {
  status: RunStatus;
  runId: string | null;
  folder: string | null;
  targetId: string | null;
  deploy: RunDeployLabel | null;
  origin: RunOrigin | null;
  jobId: string | null;
  /** True when this run continues a journaled job (nothing stored is sent again). */
  resumed: boolean;
  phase: DeployPhase | null;
  /** Why the run is paused (by the user, or held while the computer sleeps or is offline); empty while it runs. */
  pauseReasons: PauseReason[];
  totals: DeployTotals | null;
  /** Mutated in place; `rowsVersion` says when. */
  rows: RunRows;
  rowsVersion: number;
  /** The latest retry, in words ("… Retrying in 1.2 s (attempt 2)."). */
  lastRetry: string | null;
  failure: { failure: DeployFailure; resumable: boolean } | null;
  committed: { deployVersion: DeployVersion; previewUrl: string | null } | null;
  /** The folder's press.json as the run uses it (its aliases are pointed at the version once committed). */
  pressConfig: PressConfigView | null;
  /** How pointing press.json's aliases went, once main has said (`run.aliases`). */
  aliasesPointed: { pointed: string[]; error: IpcError | null } | null;
  action: RunAction | null;
  /** A control request main refused (the run ended meanwhile, …). */
  actionError: IpcError | null;
}

/** True while a run owns the session view: running or paused, not yet committed or failed. */
export function isLive(status: RunStatus): boolean {
  return status === 'running' || status === 'paused';
}

/** True once every file of a non-empty folder is hashed: what is left is talking to the server. */
export function allHashed(totals: DeployTotals | null): boolean {
  return totals !== null && totals.fileCount > 0 && totals.hashedBytes >= totals.totalBytes;
}

/** A run store with no run (its rows are kept apart: the same RunRows object lives on, cleared). */
export const idleRun = (): Omit<RunState, 'rows'> => ({
  status: 'idle',
  runId: null,
  folder: null,
  targetId: null,
  deploy: null,
  origin: null,
  jobId: null,
  resumed: false,
  phase: null,
  pauseReasons: [],
  totals: null,
  rowsVersion: 0,
  lastRetry: null,
  failure: null,
  committed: null,
  pressConfig: null,
  aliasesPointed: null,
  action: null,
  actionError: null,
});

/** The state after a batch of main's events: rows change in place, everything else is a new object. */
export function reduceRunEvents(state: RunState, events: readonly DeployEvent[]): Partial<RunState> {
  const next: Partial<RunState> = {};
  let rowsChanged = false;
  // A second scan (a file changed, a session expired) lists the folder afresh. Main's batcher starts a batch at
  // a scan and puts its file updates before its other events, so the rows are cleared before the batch.
  if (state.phase !== null && events.some((event) => event.type === 'phase' && event.phase === 'scan')) {
    state.rows.clear();
    rowsChanged = true;
  }
  for (const event of events) {
    switch (event.type) {
      case 'job':
        next.jobId = event.jobId;
        next.resumed = event.resumed;
        break;
      case 'phase':
        next.phase = event.phase;
        break;
      case 'files':
        state.rows.apply(event.updates);
        rowsChanged = true;
        break;
      case 'progress':
        next.totals = event.totals;
        break;
      case 'retry':
        next.lastRetry = event.message;
        break;
      case 'paused':
        next.status = 'paused';
        next.pauseReasons = event.reasons;
        break;
      case 'resumed':
        next.status = 'running';
        next.pauseReasons = [];
        break;
      case 'committed': {
        next.status = 'committed';
        next.totals = event.totals;
        next.committed = { deployVersion: event.deployVersion, previewUrl: event.previewUrl };
        const slug = state.deploy?.slug ?? slugFromPreviewUrl(event.previewUrl);
        next.deploy = {
          name: state.deploy?.name ?? slug ?? event.deployVersion.deployId,
          slug,
          deployId: event.deployVersion.deployId,
        };
        break;
      }
      case 'failed':
        next.status = 'failed';
        next.failure = { failure: event.failure, resumable: event.resumable };
        break;
      // Steps the CLI reports and a kill is told apart by; the session view shows them through phase and progress.
      case 'plan':
      case 'deploy':
      case 'session':
        break;
    }
  }
  if (rowsChanged) next.rowsVersion = state.rowsVersion + 1;
  return next;
}

/** `…/preview/my-site/3/` → `my-site`. */
function slugFromPreviewUrl(previewUrl: string | null): string | null {
  const match = previewUrl ? /\/preview\/([^/]+)\/[^/]+\/?$/.exec(previewUrl) : null;
  return match ? decodeURIComponent(match[1]!) : null;
}

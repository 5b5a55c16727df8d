import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import type { RunState } from './run-store.ts';

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
        next.deploy = { name: state.deploy?.name ?? slug ?? event.deployVersion.deployId, slug, deployId: event.deployVersion.deployId };
        break;
      }
      case 'failed':
        next.status = 'failed';
        next.failure = { failure: event.failure, resumable: event.resumable };
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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployVersion } from '../../../src-shared/api-types.ts';
import type { DeployTotals } from '../../../src-shared/upload-model.ts';
import { idleRun, reduceRunEvents, type RunState } from './run-events.ts';
import { RunRows } from './run-rows.ts';

const running = (over: Partial<RunState> = {}): RunState => ({
  ...idleRun(),
  rows: new RunRows(),
  status: 'running',
  runId: 'run-1',
  ...over,
});
const totals = (over: Partial<DeployTotals> = {}): DeployTotals => ({
  atMs: 0,
  phase: 'upload',
  fileCount: 2,
  totalBytes: 10,
  hashedBytes: 10,
  uploadBytes: 10,
  sentBytes: 10,
  skippedBytes: 0,
  bytesPerSecond: null,
  etaSeconds: null,
  retries: 0,
  phaseMs: {},
  ...over,
});
const version: DeployVersion = {
  id: 'ver_1',
  displayId: 'v3',
  deployId: 'dpl_1',
  versionNo: 3,
  route: null,
  title: null,
  status: 'ready',
  createdAt: 0,
};

test('a second scan starts the file list over: rows of the old plan (a file since deleted) are gone', () => {
  const state = running({ phase: 'upload' });
  state.rows.apply([
    { path: 'gone.txt', state: 'uploading', size: 4 },
    { path: 'kept.txt', state: 'done', size: 6 },
  ]);
  const next = reduceRunEvents(state, [
    { type: 'files', updates: [{ path: 'kept.txt', state: 'hashing', size: 6 }] },
    { type: 'phase', phase: 'scan', ms: 0 },
  ]);
  assert.equal(state.rows.size, 1);
  assert.equal(state.rows.get('gone.txt'), undefined);
  assert.equal(state.rows.get('kept.txt')?.state, 'hashing');
  assert.equal(next.phase, 'scan');
  assert.equal(next.rowsVersion, state.rowsVersion + 1, 'the list is told to redraw');
});

test('the first scan of a run keeps the rows that came with it', () => {
  const state = running();
  reduceRunEvents(state, [
    { type: 'files', updates: [{ path: 'a', state: 'queued', size: 1 }] },
    { type: 'phase', phase: 'scan', ms: 0 },
  ]);
  assert.equal(state.rows.size, 1);
});

test('pause reasons come and go with the paused and resumed events', () => {
  const paused = reduceRunEvents(running(), [{ type: 'paused', reasons: ['offline'] }]);
  assert.deepEqual({ status: paused.status, reasons: paused.pauseReasons }, { status: 'paused', reasons: ['offline'] });
  const resumed = reduceRunEvents(running({ ...paused }), [{ type: 'resumed' }]);
  assert.deepEqual({ status: resumed.status, reasons: resumed.pauseReasons }, { status: 'running', reasons: [] });
});

test('a commit names the deploy from its preview URL when the run did not know its slug', () => {
  const next = reduceRunEvents(running({ deploy: null }), [
    {
      type: 'committed',
      deployVersion: version,
      previewUrl: 'http://127.0.0.1:5480/preview/team%20docs/3/',
      totals: totals(),
    },
  ]);
  assert.equal(next.status, 'committed');
  assert.deepEqual(next.deploy, { name: 'team docs', slug: 'team docs', deployId: 'dpl_1' });
  assert.equal(next.committed?.deployVersion.versionNo, 3);
  const known = reduceRunEvents(running({ deploy: { name: 'Team docs', slug: 'team-docs', deployId: null } }), [
    { type: 'committed', deployVersion: version, previewUrl: null, totals: totals() },
  ]);
  assert.deepEqual(known.deploy, { name: 'Team docs', slug: 'team-docs', deployId: 'dpl_1' });
});

test('a failure keeps its code and whether it can be resumed; the newest retry and totals win', () => {
  const next = reduceRunEvents(running(), [
    { type: 'retry', request: 'PUT blob', attempt: 2, delayMs: 10, message: 'first' },
    { type: 'progress', totals: totals({ retries: 1 }) },
    { type: 'retry', request: 'PUT blob', attempt: 3, delayMs: 10, message: 'second' },
    { type: 'progress', totals: totals({ retries: 2 }) },
    { type: 'failed', failure: { code: 'unauthorized', message: 'no' }, resumable: false },
  ]);
  assert.equal(next.lastRetry, 'second');
  assert.equal(next.totals?.retries, 2);
  assert.deepEqual(next.failure, { failure: { code: 'unauthorized', message: 'no' }, resumable: false });
  assert.equal(next.status, 'failed');
  assert.equal(next.rowsVersion, undefined, 'no file changed: the list is not redrawn');
});

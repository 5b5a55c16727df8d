import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployEvent } from '../src-shared/upload-model.ts';
import { RunEventBatcher } from './run-event-batcher.ts';

const totals = (sentBytes: number) => ({
  atMs: 0,
  phase: 'upload' as const,
  fileCount: 1,
  totalBytes: 9,
  hashedBytes: 9,
  uploadBytes: 9,
  sentBytes,
  skippedBytes: 0,
  bytesPerSecond: null,
  etaSeconds: null,
  retries: 0,
  phaseMs: {},
});

test('a batch holds each file once in its latest state, the newest totals, and the other events in order', () => {
  const sent: DeployEvent[][] = [];
  const batcher = new RunEventBatcher((events) => sent.push(events));
  batcher.push({
    type: 'files',
    updates: [
      { path: 'a', state: 'uploading', size: 9, sentBytes: 1 },
      { path: 'b', state: 'waiting', size: 1 },
    ],
  });
  batcher.push({ type: 'progress', totals: totals(1) });
  batcher.push({ type: 'phase', phase: 'upload', ms: 5 });
  batcher.push({ type: 'files', updates: [{ path: 'a', state: 'uploading', size: 9, sentBytes: 5 }] });
  batcher.push({ type: 'paused', reasons: ['user'] });
  batcher.push({ type: 'progress', totals: totals(5) });
  assert.equal(sent.length, 0, 'nothing goes out before the interval');
  batcher.flush();
  assert.deepEqual(sent, [
    [
      {
        type: 'files',
        updates: [
          { path: 'a', state: 'uploading', size: 9, sentBytes: 5 },
          { path: 'b', state: 'waiting', size: 1 },
        ],
      },
      { type: 'phase', phase: 'upload', ms: 5 },
      { type: 'paused', reasons: ['user'] },
      { type: 'progress', totals: totals(5) },
    ],
  ]);
  batcher.close();
});

test('the final event goes out at once, after the last totals', () => {
  const sent: DeployEvent[][] = [];
  const batcher = new RunEventBatcher((events) => sent.push(events));
  batcher.push({ type: 'progress', totals: totals(9) });
  batcher.push({ type: 'failed', failure: { code: 'unauthorized', message: 'no' }, resumable: false });
  assert.deepEqual(
    sent.map((batch) => batch.map((event) => event.type)),
    [['progress', 'failed']],
  );
});

test("a new scan starts a new batch, so the old plan's file updates never land after the list is cleared", () => {
  const sent: DeployEvent[][] = [];
  const batcher = new RunEventBatcher((events) => sent.push(events));
  batcher.push({ type: 'files', updates: [{ path: 'deleted.txt', state: 'failed', size: 3, message: 'changed' }] });
  batcher.push({ type: 'phase', phase: 'scan', ms: 9 });
  batcher.push({ type: 'files', updates: [{ path: 'kept.txt', state: 'queued', size: 3 }] });
  batcher.close();
  assert.deepEqual(
    sent.map((batch) =>
      batch.map((event) => (event.type === 'files' ? event.updates.map((u) => u.path).join() : event.type)),
    ),
    [['deleted.txt'], ['kept.txt', 'phase']],
  );
});

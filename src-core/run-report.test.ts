import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeployEvent } from '../src-shared/upload-model.ts';
import type { PlannedBlob } from './ports.ts';
import { RunReport } from './run-report.ts';

/** A run's report through a plan of two blobs (one already on the server, one uploaded), as `on` is given `options`. */
function reportOf(options?: { files?: boolean }) {
  const events: DeployEvent[] = [];
  const marks: Array<{ hash: string; state: string }> = [];
  const report = new RunReport((batch) => marks.push(...batch));
  report.on((event) => events.push(event), options);
  const blob = (hash: string, size: number, path: string): PlannedBlob => ({
    hash,
    size,
    paths: [path],
    source: { path, absolutePath: `/site/${path}`, hash, size, mime: 'text/html', mtimeNs: 0n, ino: 0n },
  });
  const [a, b] = [blob('a', 10, 'a.html'), blob('b', 20, 'b.html')];
  report.planned([a.source, b.source], 30);
  report.hashed(a.source);
  report.hashed(b.source);
  report.phase('check');
  report.present(a);
  report.toUpload([b]);
  const unit = { blobs: [b], size: b.size };
  report.unitFiles(unit, 'uploading', 0);
  report.sent(20);
  report.unitFiles(unit, 'done', null);
  report.uploadEnded(unit, 20, true);
  report.flush();
  const { atMs: _at, phaseMs: _phases, bytesPerSecond: _speed, etaSeconds: _eta, ...totals } = report.totals();
  return { events, marks, totals };
}

test('a run whose listeners take no file updates keeps none, and tells the same totals, phases and journal marks', () => {
  const all = reportOf();
  const some = reportOf({ files: false });
  const files = (events: DeployEvent[]) =>
    events.flatMap((event) => (event.type === 'files' ? event.updates.map((u) => `${u.path} ${u.state}`) : []));
  // Phases do not send file updates: each file is told once, in its state at the flush.
  assert.deepEqual(files(all.events), ['a.html skipped', 'b.html done']);
  assert.deepEqual(files(some.events), []);
  const others = (events: DeployEvent[]) =>
    events.flatMap((event) =>
      event.type === 'files' || event.type === 'progress'
        ? []
        : [event.type === 'phase' ? `phase ${event.phase}` : event.type],
    );
  assert.deepEqual(others(some.events), others(all.events));
  assert.deepEqual(others(all.events), ['phase check', 'phase upload']);
  assert.deepEqual(some.totals, all.totals);
  assert.deepEqual(some.marks, all.marks);
  assert.deepEqual(some.marks, [
    { hash: 'a', state: 'present' },
    { hash: 'b', state: 'uploaded' },
  ]);
});

test('file updates go out at a flush, merged by path: a file told "hashing" then "waiting" within one batch is told "waiting" once', () => {
  const events: DeployEvent[] = [];
  const report = new RunReport(() => {});
  report.on((event) => events.push(event));
  const file = (path: string, size: number) => ({ path, size });
  report.planned([file('a.html', 1), file('b.html', 2)], 3);
  report.phase('hash');
  report.hashed(file('a.html', 1));
  report.flush('when-due');
  report.hashed(file('b.html', 2));
  report.phase('check');
  report.flush();
  const batches = events.flatMap((event) =>
    event.type === 'files' ? [event.updates.map((u) => `${u.path} ${u.state}`)] : [],
  );
  assert.deepEqual(batches, [['a.html waiting', 'b.html hashing'], ['b.html waiting']]);
  // The phases are told in order all the same.
  assert.deepEqual(
    events.flatMap((event) => (event.type === 'phase' ? [event.phase] : [])),
    ['hash', 'check'],
  );
});

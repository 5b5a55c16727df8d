import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { JOURNAL_MIGRATIONS } from './deploy-journal-schema.ts';
import { ACTIVE_JOB_STALE_MS, DeployJournal, type JobTarget } from './deploy-journal.ts';
import { atOnce } from './testing/at-once.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const version = {
  id: 'dv_1',
  displayId: '#1',
  deployId: 'dpl_1',
  versionNo: 1,
  route: null,
  title: null,
  status: 'ready' as const,
  createdAt: 1,
};

/** A target as the journal matches it: kind, URL and destination key. */
function target(apiUrl: string, key: string): JobTarget {
  return { kind: 'press-cloud', apiUrl, destination: { key, name: key, id: null, slug: null, details: {} } };
}

test('a job survives closing and reopening the journal, with its target state, and is found again by folder and target', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const journal = DeployJournal.open(file);
  const job = journal.createJob('/site', target('http://127.0.0.1:1', 'create:docs'));
  journal.recordPlan(job.id, {
    manifestDigest: 'm1',
    fileCount: 3,
    totalBytes: 30,
    blobs: [
      { hash: 'a', size: 10 },
      { hash: 'b', size: 20 },
    ],
  });
  journal.targetJournal(job.id).write({ deployId: 'dpl_1', session: { id: 'us_1' } });
  journal.close();

  const reopened = DeployJournal.open(file);
  t.after(() => reopened.close());
  const found = reopened.findResumable('/site', target('http://127.0.0.1:1', 'create:docs'));
  assert.equal(found?.id, job.id);
  assert.equal(found?.targetKind, 'press-cloud');
  assert.deepEqual(found?.destination, target('http://127.0.0.1:1', 'create:docs').destination);
  assert.deepEqual(reopened.targetJournal(job.id).read(), { deployId: 'dpl_1', session: { id: 'us_1' } });
  assert.equal(found?.manifestDigest, 'm1');
  assert.equal(
    reopened.findResumable('/site', target('http://127.0.0.1:2', 'create:docs')),
    undefined,
    'another server',
  );
  assert.equal(
    reopened.findResumable('/site', target('http://127.0.0.1:1', 'deploy:dpl_1')),
    undefined,
    'another deploy',
  );
  assert.equal(
    reopened.findResumable('/site', { ...target('http://127.0.0.1:1', 'create:docs'), kind: 'slideless' }),
    undefined,
    'another kind of service',
  );
  assert.equal(reopened.findResumable('/other', target('http://127.0.0.1:1', 'create:docs')), undefined);
  reopened.targetJournal(job.id).write(null);
  assert.equal(reopened.targetJournal(job.id).read(), null, 'the adapter may clear its state');
});

test('progress counts what the server holds; a new plan keeps what was confirmed', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const job = journal.createJob('/site', target('http://x', 'deploy:dpl_1'));
  journal.recordPlan(job.id, {
    manifestDigest: 'm1',
    fileCount: 2,
    totalBytes: 30,
    blobs: [
      { hash: 'a', size: 10 },
      { hash: 'b', size: 20 },
    ],
  });
  journal.setBlobStates(job.id, [{ hash: 'a', state: 'uploaded' }]);
  assert.deepEqual(journal.progress(job.id), { blobCount: 2, storedBlobCount: 1, bytes: 30, storedBytes: 10 });
  journal.recordPlan(job.id, {
    manifestDigest: 'm2',
    fileCount: 2,
    totalBytes: 35,
    blobs: [
      { hash: 'a', size: 10 },
      { hash: 'c', size: 25 },
    ],
  });
  assert.deepEqual(Object.fromEntries(journal.blobStates(job.id)), { a: 'uploaded', c: 'missing' });
  assert.equal(journal.job(job.id)!.manifestDigest, 'm2');
  journal.setBlobStates(job.id, [
    { hash: 'c', state: 'present' },
    { hash: 'a', state: 'present' },
  ]);
  assert.deepEqual(Object.fromEntries(journal.blobStates(job.id)), { a: 'present', c: 'present' }, 'the last word');
  assert.deepEqual(journal.progress(job.id), { blobCount: 2, storedBlobCount: 2, bytes: 35, storedBytes: 35 });
  journal.recordPlan(job.id, { manifestDigest: 'm3', fileCount: 1, totalBytes: 20, blobs: [{ hash: 'b', size: 20 }] });
  assert.deepEqual(journal.progress(job.id), { blobCount: 1, storedBlobCount: 0, bytes: 20, storedBytes: 0 });
  journal.recordPlan(job.id, { manifestDigest: 'm4', fileCount: 1, totalBytes: 10, blobs: [{ hash: 'a', size: 10 }] });
  assert.deepEqual(
    Object.fromEntries(journal.blobStates(job.id)),
    { a: 'missing' },
    'a confirmation dropped with its plan is not found again',
  );
  journal.markCommitted(job.id, version);
  assert.deepEqual(journal.progress(job.id), { blobCount: 0, storedBlobCount: 0, bytes: 0, storedBytes: 0 });
});

test("a journal of schema 3 keeps each job's blobs and what the server confirmed of them", (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const old = new DatabaseSync(file);
  for (const migration of JOURNAL_MIGRATIONS.slice(0, 3)) old.exec(migration);
  old.exec('PRAGMA user_version = 3');
  old
    .prepare(
      `INSERT INTO jobs (id, folder, target_kind, api_url, destination_key, destination_json, status, file_count, total_bytes, created_at, updated_at)
       VALUES ('job_v3', '/site', 'press-cloud', 'http://x', 'deploy:dpl_1', '{"key":"deploy:dpl_1","name":"dpl_1","id":"dpl_1","slug":null,"details":{}}', 'interrupted', 3, 60, 1, 2)`,
    )
    .run();
  old.exec(`INSERT INTO job_blobs (job_id, hash, size, state) VALUES
    ('job_v3', 'a', 10, 'uploaded'), ('job_v3', 'b', 20, 'present'), ('job_v3', 'c', 30, 'missing')`);
  old.close();

  const journal = DeployJournal.open(file);
  t.after(() => journal.close());
  assert.deepEqual(Object.fromEntries(journal.blobStates('job_v3')), { a: 'uploaded', b: 'present', c: 'missing' });
  assert.deepEqual(journal.progress('job_v3'), { blobCount: 3, storedBlobCount: 2, bytes: 60, storedBytes: 30 });
});

test('a job is claimed by one live process at a time; one whose process is gone is taken up', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const deploy = target('http://x', 'deploy:dpl_1');
  const running = new Set<number>();
  const first = journal.claim('/site', deploy, (pid) => running.has(pid));
  assert.equal(first.resumed, false);
  assert.equal(first.job.ownerPid, process.pid);
  running.add(process.pid);
  const twin = journal.claim('/site', deploy, (pid) => running.has(pid));
  assert.equal(twin.resumed, false, 'a job a live process runs is not taken over');
  assert.notEqual(twin.job.id, first.job.id);
  assert.throws(() => journal.claimJob(first.job.id, (pid) => running.has(pid)), /being deployed right now by process/);
  const before = journal.job(first.job.id)!.updatedAt;
  journal.heartbeat(first.job.id, before + 5_000);
  assert.equal(journal.job(first.job.id)!.updatedAt, before + 5_000, 'a heartbeat says the process is at it');
  const later = journal.claim('/site', deploy, (pid) => running.has(pid), before + 5_000 + ACTIVE_JOB_STALE_MS + 1);
  assert.equal(
    later.resumed,
    true,
    'a job its process stopped touching is taken up, even if a process has its pid (after a reboot)',
  );
  running.clear();
  const after = journal.claim('/site', deploy, (pid) => running.has(pid));
  assert.equal(after.resumed, true, 'killed, its job is taken up');
  journal.setStatus(twin.job.id, 'refused', 'the slug is taken');
  assert.throws(() => journal.claimJob(twin.job.id, () => false), /is refused: there is nothing to resume/);
  assert.throws(() => journal.claimJob('job_nope', () => false), /No deploy job job_nope/);
});

test('committed, abandoned and refused jobs are no longer resumable; interrupted and failed ones are', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const ids = ['interrupted', 'failed', 'committed', 'abandoned', 'refused'].map((status) => {
    const job = journal.createJob(`/site-${status}`, target('http://x', 'deploy:dpl_1'));
    if (status === 'committed') journal.markCommitted(job.id, version);
    else
      journal.setStatus(
        job.id,
        status as 'interrupted' | 'failed' | 'abandoned' | 'refused',
        status === 'failed' ? 'the server refused it' : null,
      );
    return job.id;
  });
  assert.deepEqual(
    journal
      .listResumable()
      .map((job) => job.folder)
      .sort(),
    ['/site-failed', '/site-interrupted'],
  );
  assert.equal(journal.job(ids[1]!)?.error, 'the server refused it');
  assert.deepEqual(journal.job(ids[2]!)?.deployVersion, version);
});

test('twenty openers at once on a fresh state folder each get a working journal (issue 9, defect 3)', async (t) => {
  const dir = tempDir(t);
  const outcomes = await atOnce(20, 'journal', () => [dir]);
  assert.deepEqual(
    outcomes.filter((outcome) => !outcome.ok),
    [],
    'no opener failed',
  );
  const journal = DeployJournal.open(join(dir, 'journal.sqlite'));
  t.after(() => journal.close());
  assert.equal(journal.listResumable().length, 20, 'every job was written');
});

test('a journal an older PressDrop wrote (schema 1) upgrades in place: its jobs and blobs kept, new keys, a refused status allowed', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const old = new DatabaseSync(file);
  old.exec(JOURNAL_MIGRATIONS[0]!);
  old.exec('PRAGMA user_version = 1');
  old
    .prepare(
      `INSERT INTO jobs (id, folder, api_url, deploy_json, deploy_id, status, manifest_digest, session_id, session_expires_at, create_key, commit_key, file_count, total_bytes, created_at, updated_at)
     VALUES ('job_old', '/site', 'http://x', '{"deployId":"dpl_1"}', 'dpl_1', 'active', 'm1', 'us_1', 99, 'pressdrop-create-old', 'pressdrop-commit-old', 1, 10, 1, 2)`,
    )
    .run();
  old.prepare("INSERT INTO job_blobs (job_id, sha256, size, state) VALUES ('job_old', 'a', 10, 'uploaded')").run();
  old.close();

  const journal = DeployJournal.open(file);
  t.after(() => journal.close());
  const job = journal.job('job_old')!;
  assert.deepEqual(
    [job.status, job.ownerPid, job.manifestDigest, job.targetKind, job.destination.key],
    ['active', null, 'm1', 'press-cloud', 'deploy:dpl_1'],
  );
  const state = job.targetState as {
    deployId: string;
    session: unknown;
    sessionRequest: { key: string; digest: string | null };
  };
  assert.equal(state.deployId, 'dpl_1');
  assert.deepEqual(state.session, { id: 'us_1', expiresAt: 99, manifestDigest: 'm1' });
  assert.match(state.sessionRequest.key, /^pressdrop-session-[0-9a-f]{32}$/);
  assert.equal(
    state.sessionRequest.digest,
    null,
    'what the old key went out with is unknown: the next request gets a new one',
  );
  assert.deepEqual(
    Object.fromEntries(journal.blobStates('job_old')),
    { a: 'uploaded' },
    'its blobs kept (and still tied to it)',
  );
  journal.setStatus('job_old', 'refused');
  assert.deepEqual(journal.listResumable(), []);
  const db = new DatabaseSync(file);
  t.after(() => db.close());
  assert.deepEqual({ ...db.prepare('PRAGMA user_version').get() }, { user_version: JOURNAL_MIGRATIONS.length });
  for (const table of ['job_plans', 'job_blob_marks'])
    assert.deepEqual(
      db
        .prepare(`PRAGMA foreign_key_list(${table})`)
        .all()
        .map((row) => (row as { table: string }).table),
      ['jobs'],
      `${table} is tied to jobs`,
    );
});

test('a Press Cloud job journaled before deploy targets (schema 2) keeps its keys, digests and session as its adapter state', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const old = new DatabaseSync(file);
  old.exec(JOURNAL_MIGRATIONS[0]!);
  old.exec(JOURNAL_MIGRATIONS[1]!);
  old.exec('PRAGMA user_version = 2');
  old
    .prepare(
      `INSERT INTO jobs (id, folder, api_url, deploy_json, deploy_id, status, owner_pid, manifest_digest, session_id, session_expires_at,
                         deploy_key, session_key, session_digest, commit_key, commit_digest, file_count, total_bytes, created_at, updated_at)
       VALUES ('job_v2', '/site', 'http://x', '{"createDeploy":{"slug":"docs","name":"Docs"}}', 'dpl_9', 'interrupted', 42, 'm1', 'us_9', 5000,
               'pressdrop-deploy-k', 'pressdrop-session-k', 'digest-s', 'pressdrop-commit-k', 'digest-c', 2, 20, 1, 2)`,
    )
    .run();
  old.prepare("INSERT INTO job_blobs (job_id, sha256, size, state) VALUES ('job_v2', 'a', 10, 'present')").run();
  old.close();

  const journal = DeployJournal.open(file);
  t.after(() => journal.close());
  const job = journal.job('job_v2')!;
  assert.deepEqual(job.destination, {
    key: 'create:docs',
    name: 'Docs',
    id: null,
    slug: 'docs',
    details: { deploy: { createDeploy: { slug: 'docs', name: 'Docs' } } },
  });
  assert.deepEqual(job.targetState, {
    deployId: 'dpl_9',
    deployKey: 'pressdrop-deploy-k',
    session: { id: 'us_9', expiresAt: 5000, manifestDigest: 'm1' },
    sessionRequest: { key: 'pressdrop-session-k', digest: 'digest-s' },
    commitRequest: { key: 'pressdrop-commit-k', digest: 'digest-c' },
  });
  assert.deepEqual(Object.fromEntries(journal.blobStates('job_v2')), { a: 'present' });
  assert.equal(journal.findResumable('/site', target('http://x', 'create:docs'))?.id, 'job_v2', 'still resumable');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { JOURNAL_MIGRATIONS } from './deploy-journal-schema.ts';
import { ACTIVE_JOB_STALE_MS, DeployJournal } from './deploy-journal.ts';
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

test('a job survives closing and reopening the journal, and is found again by folder, server and deploy', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const journal = DeployJournal.open(file);
  const job = journal.createJob('/site', 'http://127.0.0.1:1', { createDeploy: { slug: 'docs', name: 'Docs' } });
  journal.recordPlan(job.id, {
    manifestDigest: 'm1',
    fileCount: 3,
    totalBytes: 30,
    blobs: [
      { sha256: 'a', size: 10 },
      { sha256: 'b', size: 20 },
    ],
  });
  journal.recordSession(job.id, 'us_1', 1_000);
  journal.setDeployId(job.id, 'dpl_1');
  journal.close();

  const reopened = DeployJournal.open(file);
  t.after(() => reopened.close());
  const found = reopened.findResumable('/site', 'http://127.0.0.1:1', { createDeploy: { slug: 'docs', name: 'Docs' } });
  assert.equal(found?.id, job.id);
  assert.equal(found?.sessionId, 'us_1');
  assert.equal(found?.deployId, 'dpl_1');
  assert.equal(found?.manifestDigest, 'm1');
  assert.equal(
    reopened.findResumable('/site', 'http://127.0.0.1:2', { deployId: 'dpl_1' }),
    undefined,
    'another server is another job',
  );
  assert.equal(
    reopened.findResumable('/other', 'http://127.0.0.1:1', { createDeploy: { slug: 'docs', name: 'Docs' } }),
    undefined,
  );
});

test('progress counts what the server holds; a new plan keeps what was confirmed and forgets the session made for the old one', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const job = journal.createJob('/site', 'http://x', { deployId: 'dpl_1' });
  journal.recordPlan(job.id, {
    manifestDigest: 'm1',
    fileCount: 2,
    totalBytes: 30,
    blobs: [
      { sha256: 'a', size: 10 },
      { sha256: 'b', size: 20 },
    ],
  });
  journal.setBlobStates(job.id, [{ sha256: 'a', state: 'uploaded' }]);
  assert.deepEqual(journal.progress(job.id), { blobCount: 2, storedBlobCount: 1, bytes: 30, storedBytes: 10 });
  journal.recordSession(job.id, 'us_1', 1_000);
  journal.recordPlan(job.id, {
    manifestDigest: 'm1',
    fileCount: 2,
    totalBytes: 30,
    blobs: [
      { sha256: 'a', size: 10 },
      { sha256: 'b', size: 20 },
    ],
  });
  assert.equal(journal.job(job.id)!.sessionId, 'us_1', 'the same manifest keeps its session');

  journal.recordPlan(job.id, {
    manifestDigest: 'm2',
    fileCount: 2,
    totalBytes: 35,
    blobs: [
      { sha256: 'a', size: 10 },
      { sha256: 'c', size: 25 },
    ],
  });
  assert.deepEqual(Object.fromEntries(journal.blobStates(job.id)), { a: 'uploaded', c: 'missing' });
  assert.equal(journal.job(job.id)!.sessionId, null, 'a new manifest needs a new session');
});

test('an idempotency key goes out only with the request it was first recorded with; forgotten, the same request gets a new one', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const journal = DeployJournal.open(file);
  const job = journal.createJob('/site', 'http://x', { createDeploy: { slug: 'docs', name: 'Docs' } });
  const first = journal.requestKey(job.id, 'session', 'digest-1');
  assert.equal(first.repeat, false);
  journal.close();
  // After a kill: the same request again, under the same key, so the server replays its answer.
  const reopened = DeployJournal.open(file);
  t.after(() => reopened.close());
  assert.deepEqual(reopened.requestKey(job.id, 'session', 'digest-1'), { key: first.key, repeat: true });
  const other = reopened.requestKey(job.id, 'session', 'digest-2');
  assert.equal(other.repeat, false);
  assert.notEqual(other.key, first.key, 'other bytes, another key');
  reopened.forgetRequest(job.id, 'session');
  const renewed = reopened.requestKey(job.id, 'session', 'digest-2');
  assert.equal(renewed.repeat, false);
  assert.notEqual(renewed.key, other.key, 'the same bytes under a new key once the session it made is gone');
  assert.equal(reopened.requestKey(job.id, 'commit', 'digest-1').repeat, false, 'each kind of request has its own key');
  assert.equal(reopened.job(job.id)!.deployKey, job.deployKey, 'the deploy request keeps its key for good');
});

test('a job is claimed by one live process at a time; one whose process is gone is taken up', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const deploy = { deployId: 'dpl_1' };
  const running = new Set<number>();
  const first = journal.claim('/site', 'http://x', deploy, (pid) => running.has(pid));
  assert.equal(first.resumed, false);
  assert.equal(first.job.ownerPid, process.pid);
  running.add(process.pid);
  const twin = journal.claim('/site', 'http://x', deploy, (pid) => running.has(pid));
  assert.equal(twin.resumed, false, 'a job a live process runs is not taken over');
  assert.notEqual(twin.job.id, first.job.id);
  assert.throws(() => journal.claimJob(first.job.id, (pid) => running.has(pid)), /being deployed right now by process/);
  const before = journal.job(first.job.id)!.updatedAt;
  journal.heartbeat(first.job.id, before + 5_000);
  assert.equal(journal.job(first.job.id)!.updatedAt, before + 5_000, 'a heartbeat says the process is at it');
  const later = journal.claim(
    '/site',
    'http://x',
    deploy,
    (pid) => running.has(pid),
    before + 5_000 + ACTIVE_JOB_STALE_MS + 1,
  );
  assert.equal(
    later.resumed,
    true,
    'a job its process stopped touching is taken up, even if a process has its pid (after a reboot)',
  );
  running.clear();
  const after = journal.claim('/site', 'http://x', deploy, (pid) => running.has(pid));
  assert.equal(after.resumed, true, 'killed, its job is taken up');
  journal.setStatus(twin.job.id, 'refused', 'the slug is taken');
  assert.throws(() => journal.claimJob(twin.job.id, () => false), /is refused: there is nothing to resume/);
  assert.throws(() => journal.claimJob('job_nope', () => false), /No deploy job job_nope/);
});

test('committed, abandoned and refused jobs are no longer resumable; interrupted and failed ones are', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const ids = ['interrupted', 'failed', 'committed', 'abandoned', 'refused'].map((status) => {
    const job = journal.createJob(`/site-${status}`, 'http://x', { deployId: 'dpl_1' });
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
    [job.status, job.ownerPid, job.manifestDigest, job.sessionId, job.deployId],
    ['active', null, 'm1', 'us_1', 'dpl_1'],
  );
  assert.match(job.session.key, /^pressdrop-session-[0-9a-f]{32}$/);
  assert.equal(job.session.digest, null, 'what the old key went out with is unknown: the next request gets a new one');
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
  assert.deepEqual(
    db
      .prepare('PRAGMA foreign_key_list(job_blobs)')
      .all()
      .map((row) => (row as { table: string }).table),
    ['jobs'],
  );
});

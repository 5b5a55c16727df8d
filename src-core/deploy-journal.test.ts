import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployJournal } from './deploy-journal.ts';
import { FileSecretStore } from './file-secret-store.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const version = { id: 'dv_1', displayId: '#1', deployId: 'dpl_1', versionNo: 1, route: null, title: null, status: 'ready' as const, createdAt: 1 };

test('a job survives closing and reopening the journal, and is found again by folder, server and deploy', (t) => {
  const file = join(tempDir(t), 'journal.sqlite');
  const journal = DeployJournal.open(file);
  const job = journal.createJob('/site', 'http://127.0.0.1:1', { createDeploy: { slug: 'docs', name: 'Docs' } });
  journal.recordPlan(job.id, { manifestDigest: 'm1', fileCount: 3, totalBytes: 30, blobs: [{ sha256: 'a', size: 10 }, { sha256: 'b', size: 20 }] });
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
  assert.equal(reopened.findResumable('/site', 'http://127.0.0.1:2', { deployId: 'dpl_1' }), undefined, 'another server is another job');
  assert.equal(reopened.findResumable('/other', 'http://127.0.0.1:1', { createDeploy: { slug: 'docs', name: 'Docs' } }), undefined);
});

test('progress counts what the server holds; a new plan keeps what was confirmed and gets fresh idempotency keys', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const job = journal.createJob('/site', 'http://x', { deployId: 'dpl_1' });
  journal.recordPlan(job.id, { manifestDigest: 'm1', fileCount: 2, totalBytes: 30, blobs: [{ sha256: 'a', size: 10 }, { sha256: 'b', size: 20 }] });
  journal.setBlobStates(job.id, [{ sha256: 'a', state: 'uploaded' }]);
  assert.deepEqual(journal.progress(job.id), { blobCount: 2, storedBlobCount: 1, bytes: 30, storedBytes: 10 });

  const before = journal.job(job.id)!;
  journal.recordPlan(job.id, { manifestDigest: 'm2', fileCount: 2, totalBytes: 35, blobs: [{ sha256: 'a', size: 10 }, { sha256: 'c', size: 25 }] });
  const after = journal.job(job.id)!;
  assert.deepEqual(Object.fromEntries(journal.blobStates(job.id)), { a: 'uploaded', c: 'missing' });
  assert.notEqual(after.createKey, before.createKey);
  assert.notEqual(after.commitKey, before.commitKey);
  assert.equal(after.sessionId, null, 'a new manifest needs a new session');
});

test('committed and abandoned jobs are no longer resumable; interrupted and failed ones are', (t) => {
  const journal = DeployJournal.open(join(tempDir(t), 'journal.sqlite'));
  t.after(() => journal.close());
  const ids = ['interrupted', 'failed', 'committed', 'abandoned'].map((status) => {
    const job = journal.createJob(`/site-${status}`, 'http://x', { deployId: 'dpl_1' });
    if (status === 'committed') journal.markCommitted(job.id, version);
    else journal.setStatus(job.id, status as 'interrupted' | 'failed' | 'abandoned', status === 'failed' ? 'the server refused it' : null);
    return job.id;
  });
  assert.deepEqual(journal.listResumable().map((job) => job.folder).sort(), ['/site-failed', '/site-interrupted']);
  assert.equal(journal.job(ids[1]!)?.error, 'the server refused it');
  assert.deepEqual(journal.job(ids[2]!)?.deployVersion, version);
});

test('the file secret store keeps secrets for its owner only, and forgets on delete', async (t) => {
  const file = join(tempDir(t), 'nested', 'secrets.json');
  const secrets = new FileSecretStore(file);
  await Promise.all([secrets.set('upload-token:job_1', 'ustk_one'), secrets.set('upload-token:job_2', 'ustk_two')]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await new FileSecretStore(file).get('upload-token:job_1'), 'ustk_one');
  await secrets.delete('upload-token:job_1');
  assert.equal(await secrets.get('upload-token:job_1'), null);
  assert.equal(await secrets.get('upload-token:job_2'), 'ustk_two');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from './file-secret-store.ts';
import { atOnce } from './testing/at-once.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const posixOnly = { skip: process.platform === 'win32' ? 'file modes are POSIX' : false };

test('the file secret store keeps secrets for its owner only, and forgets on delete', posixOnly, async (t) => {
  const file = join(tempDir(t), 'nested', 'secrets.json');
  const secrets = new FileSecretStore(file);
  await Promise.all([secrets.set('upload-token:job_1', 'ustk_one'), secrets.set('upload-token:job_2', 'ustk_two')]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(await new FileSecretStore(file).get('upload-token:job_1'), 'ustk_one');
  await secrets.delete('upload-token:job_1');
  assert.equal(await secrets.get('upload-token:job_1'), null);
  assert.equal(await secrets.get('upload-token:job_2'), 'ustk_two');
  for (const name of readdirSync(join(file, '..'))) {
    assert.equal(statSync(join(file, '..', name)).mode & 0o077, 0, `${name} is its owner's only`);
  }
});

test('twenty stores over one file, writing at the same instant, lose no update (twenty CLIs on one state folder)', async (t) => {
  const file = join(tempDir(t), 'secrets.json');
  const seeded = new FileSecretStore(file);
  await seeded.set('gone', 'deleted by everyone');
  const outcomes = await atOnce(20, 'secrets', (i) => [file, `upload-token:job_${i}`, 'gone']);
  assert.deepEqual(
    outcomes.filter((outcome) => !outcome.ok),
    [],
  );
  const kept = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  assert.deepEqual(
    Object.keys(kept).sort(),
    Array.from({ length: 20 }, (_, i) => `upload-token:job_${i}`).sort(),
    'every set kept, the delete not undone',
  );
});

test(
  'a write goes through a temp file of an unpredictable name, never through one planted beside the store',
  posixOnly,
  async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'secrets.json');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    // The names a writer that names its temp file after its pid (or a counter) would use, planted as links.
    const target = join(elsewhere, 'target');
    writeFileSync(target, 'untouched');
    symlinkSync(target, `${file}.${process.pid}.tmp`);
    symlinkSync(target, `${file}.tmp`);
    await new FileSecretStore(file).set('upload-token:job_1', 'ustk_secret');
    assert.equal(readFileSync(target, 'utf8'), 'untouched', 'the planted link was not written through');
    assert.ok(statSync(file, { throwIfNoEntry: false })?.isFile(), 'the store is a file of its own');
    assert.equal(await new FileSecretStore(file).get('upload-token:job_1'), 'ustk_secret');
  },
);

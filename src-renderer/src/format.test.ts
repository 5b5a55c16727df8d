import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPLOY_SLUG_PATTERN } from '../../src-shared/deploy-names.ts';
import { wordError } from './error-words.ts';
import { folderName, formatBytes, formatDuration, formatSpeed, suggestSlug } from './format.ts';

test('a folder name becomes a slug the server accepts, or nothing', () => {
  for (const [name, slug] of [
    ['My Site', 'my-site'],
    ['Übersicht 2026!', 'ubersicht-2026'],
    ['build_output', 'build-output'],
    ['---', ''],
  ] as const) {
    assert.equal(suggestSlug(name), slug, name);
    if (slug) assert.match(slug, DEPLOY_SLUG_PATTERN);
  }
  assert.ok(DEPLOY_SLUG_PATTERN.test(suggestSlug('x'.repeat(100))), 'long names are cut to the limit');
  assert.equal(folderName('/home/me/sites/docs/'), 'docs');
  assert.equal(folderName('C:\\Users\\me\\site'), 'site');
});

test('a known code gets its sentence and keeps the precise message; an unknown one shows its message', () => {
  const taken = wordError({
    code: 'deploy_slug_conflict',
    message: 'POST upload session failed: HTTP 409 deploy_slug_conflict: The slug "site" is taken.',
  });
  assert.match(taken.sentence, /slug already exists/);
  assert.equal(taken.detail, 'The slug "site" is taken.');
  assert.deepEqual(wordError({ code: 'something_new', message: 'A new kind of failure.' }), {
    sentence: 'A new kind of failure.',
    detail: null,
  });
});

test('the app shows sizes, speeds and durations as the CLI does (binary units)', () => {
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(1024 * 1024 - 1), '1.0 MiB');
  assert.equal(formatSpeed(12.3 * 1024 * 1024), '12.3 MiB/s');
  assert.equal(formatDuration(185), '3 min 5 s');
});

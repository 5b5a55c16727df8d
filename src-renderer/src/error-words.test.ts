import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiErrors, renderJobErrors } from '../../src-shared/api-errors.ts';
import { appErrors, unlistedErrorCode } from '../../src-shared/app-errors.ts';
import { cloudflareErrors } from '../../src-shared/cloudflare-errors.ts';
import { slidelessErrors } from '../../src-shared/slideless-errors.ts';
import { errorWords, wordError } from './error-words.ts';

test('every code of the shared tables has words, and there are words for nothing else', () => {
  const codes = [
    ...Object.keys(apiErrors),
    ...Object.keys(renderJobErrors),
    ...Object.keys(slidelessErrors),
    ...Object.keys(cloudflareErrors),
    ...Object.keys(appErrors),
  ].sort();
  assert.deepEqual(Object.keys(errorWords).sort(), codes);
  for (const [code, sentence] of Object.entries(errorWords)) assert.match(sentence, /\S.*[.…]$/, code);
});

test('a code from outside the tables, passed on as it came, is shown by its message', () => {
  assert.deepEqual(wordError({ code: unlistedErrorCode('EACCES'), message: 'EACCES: permission denied.' }), {
    sentence: 'EACCES: permission denied.',
    detail: null,
  });
  assert.deepEqual(wordError({ code: 'drop_several', message: 'You dropped 2 items.' }), {
    sentence: errorWords.drop_several,
    detail: 'You dropped 2 items.',
  });
});

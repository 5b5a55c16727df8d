import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.ts';

test('the CSP meta of index.html is the header policy, less frame-ancestors (which a meta tag cannot carry)', () => {
  const html = readFileSync(new URL('../src-renderer/index.html', import.meta.url), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  const expected = CONTENT_SECURITY_POLICY.split('; ')
    .filter((directive) => !directive.startsWith('frame-ancestors'))
    .join('; ');
  assert.equal(meta, expected);
});

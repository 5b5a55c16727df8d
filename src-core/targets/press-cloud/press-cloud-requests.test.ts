import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { JsonText } from '../../http/http-transport.ts';
import { requestDigest } from './press-cloud-requests.ts';

test('a request digest is the SHA-256 of "METHOD path\\n" and the body as sent, whether the body comes serialized or not', () => {
  // A journal keeps these digests across runs (and versions): a resumed deploy finds its Idempotency-Key by them.
  const body = {
    deployId: 'dpl_1',
    files: [{ path: 'café/naïve – €.html', sha256: 'a'.repeat(64), size: 3, mime: 'text/html' }],
  };
  const expected = createHash('sha256')
    .update(`POST /v1/upload-sessions\n${JSON.stringify(body)}`, 'utf8')
    .digest('hex');
  assert.equal(requestDigest('POST', '/v1/upload-sessions', new JsonText(body)), expected);
  assert.equal(requestDigest('POST', '/v1/upload-sessions', body), expected);
  assert.notEqual(requestDigest('POST', '/v1/upload-sessions/us_1/commit', body), expected);
});

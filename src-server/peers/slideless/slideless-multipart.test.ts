import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sha256, startTestPeer, type TestPeer } from './testing/peer-test-kit.ts';

const BOUNDARY = '----pressdrop-test-0123';

/** A multipart body of text parts and raw parts (headers given whole), closed by the final delimiter. */
function body(parts: Array<{ headers: string; content: Buffer | string }>): Buffer {
  return Buffer.concat([
    ...parts.flatMap(({ headers, content }) => [
      Buffer.from(`--${BOUNDARY}\r\n${headers}\r\n\r\n`),
      Buffer.from(content),
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${BOUNDARY}--\r\n`),
  ]);
}

const text = (name: string, value: string) => ({
  headers: `Content-Disposition: form-data; name="${name}"`,
  content: value,
});

/** POSTs `bytes` to the upload route in pieces of `pieceSize`, so delimiters and headers straddle chunks. */
async function post(slideless: TestPeer, bytes: Buffer, pieceSize = bytes.length, contentType?: string) {
  const pieces = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += pieceSize) controller.enqueue(bytes.subarray(at, at + pieceSize));
      controller.close();
    },
  });
  const response = await fetch(`${slideless.peer.url}/uploadPresentationAsset`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${slideless.apiKey}`,
      'content-type': contentType ?? `multipart/form-data; boundary=${BOUNDARY}`,
    },
    body: pieces,
    duplex: 'half',
  });
  return { status: response.status, body: (await response.json()) as { error?: { message: string } } };
}

test('upload: a body in small pieces, fields after the file, file bytes that look like a delimiter, is stored whole', async (t) => {
  const slideless = await startTestPeer(t);
  const file = Buffer.concat([
    randomBytes(5000),
    Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}x\r\n--`),
    randomBytes(300),
  ]);
  const { sessionId } = (await slideless.post('/precheckAssets', { hashes: [sha256(file)] })).body.data;
  const bytes = body([
    {
      headers:
        'Content-Disposition: form-data; name="file"; filename="a b.bin"\r\nContent-Type: application/octet-stream',
      content: file,
    },
    text('sessionId', sessionId),
    text('sha256', sha256(file)),
    text('contentType', 'application/octet-stream'),
  ]);
  for (const pieceSize of [7, 4096]) {
    const answer = await post(slideless, bytes, pieceSize);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }
  const after = await slideless.post('/precheckAssets', { hashes: [sha256(file)], sessionId });
  assert.deepEqual(after.body.data.missing, [], 'the file was stored under its hash');
});

test('upload: a field over 1 KiB, more than 16 parts, a part without a name or with a malformed header, or no boundary is invalid-argument', async (t) => {
  const slideless = await startTestPeer(t);
  const refusals: Array<[string, Buffer, RegExp, string?]> = [
    ['a field over 1 KiB', body([text('sha256', 'a'.repeat(1025))]), /longer than 1024/],
    // Parts busboy skips (no Content-Disposition) count too; any other sixth part is refused before.
    [
      '17 parts',
      body(Array.from({ length: 17 }, () => ({ headers: 'Content-Type: text/plain', content: 'x' }))),
      /more than 16 parts/,
    ],
    ['a part without a name', body([{ headers: 'Content-Disposition: form-data', content: 'x' }]), /no field name/],
    ['a malformed header line', body([{ headers: 'no colon here', content: 'x' }]), /headers are malformed/],
    ['no boundary', body([text('sha256', 'a')]), /no boundary/, 'multipart/form-data'],
    ['not multipart', body([text('sha256', 'a')]), /multipart\/form-data/, 'text/plain'],
  ];
  for (const [what, bytes, message, contentType] of refusals) {
    const answer = await post(slideless, bytes, 5, contentType);
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.body.error!.message, message, what);
  }
  // Exactly 1 KiB is allowed: the refusal is then about the value, not its length.
  const atLimit = await post(slideless, body([text('sha256', 'a'.repeat(1024))]));
  assert.doesNotMatch(atLimit.body.error!.message, /longer than/);
});

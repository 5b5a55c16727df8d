import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashOf, startTestPeer, type TestPeer } from './peer-test-kit.ts';

const BOUNDARY = 'pressdrop-test-0123';
const FILES = { '/index.html': '<h1>pieces</h1>', '/notes.txt': 'plain', '/data.bin': 'raw' };

/** A bucket body: one part per [headers, content], closed by the final delimiter. */
function body(parts: Array<[headers: string, content: string]>): Buffer {
  const text = parts.map(([headers, content]) => `--${BOUNDARY}\r\n${headers}\r\n\r\n${content}\r\n`).join('');
  return Buffer.from(`${text}--${BOUNDARY}--\r\n`);
}

/** POSTs a bucket in pieces of `pieceSize`, so delimiters and headers straddle the chunks the peer reads. */
async function upload(peer: TestPeer, jwt: string, bytes: Buffer, pieceSize: number) {
  const pieces = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += pieceSize) controller.enqueue(bytes.subarray(at, at + pieceSize));
      controller.close();
    },
  });
  const response = await fetch(`${peer.peer.url}${peer.account}/workers/assets/upload?base64=true`, {
    method: 'POST',
    headers: { authorization: `Bearer ${jwt}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: pieces,
    duplex: 'half',
  });
  return {
    status: response.status,
    json: (await response.json()) as { errors: Array<{ code: number; message: string }> },
  };
}

/** The part of one file as a client sends it: named and filed by its hash, with this Content-Type header. */
async function part(path: keyof typeof FILES, contentType: string): Promise<[string, string]> {
  const hash = await hashOf(path, FILES[path]);
  const type = contentType === '' ? '' : `\r\nContent-Type: ${contentType}`;
  return [
    `Content-Disposition: form-data; name="${hash}"; filename="${hash}"${type}`,
    Buffer.from(FILES[path]).toString('base64'),
  ];
}

test('a bucket read in small pieces is stored, each asset served with its part’s Content-Type, parameters and all', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const { jwt } = (await peer.openSession('site', FILES)).json.result as { jwt: string };
  const bytes = body([
    await part('/index.html', 'text/html; charset=utf-8'),
    await part('/notes.txt', 'Text/Plain; Charset=UTF-8'),
    await part('/data.bin', 'application/null'),
  ]);
  const answer = await upload(peer, jwt, bytes, 3);
  assert.equal(answer.status, 201, JSON.stringify(answer.json));
  const completion = (answer.json as unknown as { result: { jwt: string } }).result.jwt;
  assert.equal((await peer.deploy('site', completion)).status, 200);
  const served = async (path: string) => {
    const response = await peer.preview('site', path);
    return [await response.text(), response.headers.get('content-type')];
  };
  assert.deepEqual(await served('/index.html'), [FILES['/index.html'], 'text/html; charset=utf-8']);
  assert.deepEqual(await served('/notes.txt'), [FILES['/notes.txt'], 'text/plain; charset=utf-8']);
  assert.deepEqual(await served('/data.bin'), [FILES['/data.bin'], 'application/octet-stream']);
});

test('a part without Content-Disposition or without a name, a malformed header or a truncated body is 100309', async (t) => {
  const peer = await startTestPeer();
  t.after(() => peer.close());
  const { jwt } = (await peer.openSession('site', FILES)).json.result as { jwt: string };
  const [headers, content] = await part('/index.html', 'text/html');
  const cases: Array<[string, Buffer, RegExp]> = [
    [
      'no Content-Disposition',
      body([
        [headers, content],
        ['Content-Type: text/plain', 'x'],
      ]),
      /Content-Disposition/,
    ],
    [
      'no name',
      body([
        [headers, content],
        ['Content-Disposition: form-data; filename="x"', 'x'],
      ]),
      /no name/,
    ],
    ['a malformed header', body([['no colon here', 'x']]), /Malformed part header/],
    ['truncated', body([[headers, content]]).subarray(0, 60), /Unexpected end/],
  ];
  for (const [what, bytes, message] of cases) {
    const answer = await upload(peer, jwt, bytes, 7);
    assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.json)}`);
    assert.equal(answer.json.errors[0]!.code, 100309, what);
    assert.match(answer.json.errors[0]!.message, message, what);
  }
  const fresh = (await peer.openSession('site', FILES)).json.result as { buckets: string[][] };
  assert.equal(fresh.buckets.flat().length, 3, 'nothing of a refused upload was stored');
});

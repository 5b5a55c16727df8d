import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeCanonicalBase64 } from './canonical-base64.ts';

/** `text` cut into pieces of `size` bytes, as they may arrive from the socket. */
const piecesOf = (text: string, size: number) => {
  const bytes = Buffer.from(text, 'latin1');
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
};

test('decodeCanonicalBase64 decodes canonical base64 however it is cut', () => {
  for (const length of [0, 1, 2, 3, 4, 5, 1000, 70_001]) {
    const bytes = randomBytes(length);
    const text = bytes.toString('base64');
    for (const size of [1, 2, 3, 5, 4096, text.length || 1]) {
      assert.deepEqual(decodeCanonicalBase64(piecesOf(text, size), text.length), bytes, `${length} bytes in ${size}s`);
    }
  }
});

test('decodeCanonicalBase64 refuses what does not encode back to itself', () => {
  const refused = [
    'QUJ', // unpadded
    'QUF=', // bits set past the end
    'QU-D', // base64url
    'QUJD\nQUJD', // a line break
    'QUJ*', // a stray character
    'QQ==QUJD', // padding in the middle
    'QQ==QQ==',
  ];
  for (const text of refused) {
    for (const size of [1, 3, 4, text.length]) {
      assert.equal(
        decodeCanonicalBase64(piecesOf(text, size), text.length),
        null,
        `${JSON.stringify(text)} in ${size}s`,
      );
    }
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  abbreviate,
  ALIAS_NAME_PATTERN,
  DEPLOY_SLUG_PATTERN,
  deployPathProblem,
  isMediaType,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  utf8ByteLength,
} from './deploy-names.ts';

/** A path of `bytes` ASCII bytes: segments of 200 characters between slashes. */
function pathOfBytes(bytes: number): string {
  let path = '';
  while (path.length < bytes) path += path.length % 201 === 200 ? '/' : 's';
  return path;
}

test('ordinary relative paths, Unicode included, are accepted', () => {
  const accepted = [
    'index.html',
    'assets/main.js',
    'a/b/c/d.txt',
    'ünïcødé/文件.txt',
    '.well-known/x',
    'a..b/c',
    '...',
    '.hidden',
    'Index.HTML',
    'emoji/😀.png',
    'a b/c d.txt',
    'quote"d.txt',
    "it's.txt",
    '%2e%2e/x',
    'x'.repeat(MAX_SEGMENT_BYTES),
    'é'.repeat(127),
    pathOfBytes(MAX_PATH_BYTES),
  ];
  for (const path of accepted) assert.equal(deployPathProblem(path), null, path);
  assert.equal(utf8ByteLength(pathOfBytes(MAX_PATH_BYTES)), MAX_PATH_BYTES);
});

test('each refused path says what is wrong with it', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['/index.html', /absolute/],
    ['a/../b', /"\.\."/],
    ['..', /"\.\."/],
    ['./a', /"\."/],
    ['a/.', /"\."/],
    ['a\\b', /backslash/],
    ['a//b', /empty segment/],
    ['a/', /ends with \//],
    ['a/b/', /ends with \//],
    [pathOfBytes(MAX_PATH_BYTES + 1), /1025 bytes.*limit is 1024/],
    ['é'.repeat(513), /1026 bytes/],
    ['x'.repeat(MAX_SEGMENT_BYTES + 1), /segment of 256 bytes/],
    [`a/${'文'.repeat(86)}`, /segment of 258 bytes/],
    ['e\u0301.txt', /NFC/],
    ['cafe\u0301/x', /NFC/],
    ['\ud800.txt', /lone surrogate/],
    ['a\udc00b', /lone surrogate/],
  ];
  for (const [path, problem] of cases)
    assert.match(deployPathProblem(path) ?? 'accepted', problem, JSON.stringify(path));
});

test('every C0 and C1 control and every bidirectional control is refused', () => {
  const controls = [...Array.from({ length: 0x20 }, (_, i) => i), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)];
  assert.equal(controls.length, 65);
  for (const code of controls) {
    assert.match(
      deployPathProblem(`a${String.fromCodePoint(code)}b.txt`) ?? 'accepted',
      /control character/,
      `U+${code.toString(16)}`,
    );
  }
  for (const code of [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
    assert.match(
      deployPathProblem(`invoice${String.fromCodePoint(code)}gpj.exe`) ?? 'accepted',
      /bidirectional/,
      `U+${code.toString(16)}`,
    );
  }
  // Neighbours of the refused ranges are ordinary characters.
  for (const code of [0x20, 0x7e, 0xa0, 0x200d, 0x2029, 0x206a])
    assert.equal(deployPathProblem(`a${String.fromCodePoint(code)}b`), null, `U+${code.toString(16)}`);
});

test('UTF-8 byte lengths count code points, not UTF-16 units', () => {
  assert.equal(utf8ByteLength(''), 0);
  assert.equal(utf8ByteLength('a'), 1);
  assert.equal(utf8ByteLength('é'), 2);
  assert.equal(utf8ByteLength('文'), 3);
  assert.equal(utf8ByteLength('😀'), 4);
  assert.equal(utf8ByteLength('a/é/文/😀'), 1 + 1 + 2 + 1 + 3 + 1 + 4);
});

test('media types: type/subtype with parameters, visible ASCII, at most 255 characters', () => {
  for (const mime of [
    'text/html',
    'text/html; charset=utf-8',
    'text/html;charset=UTF-8',
    'application/vnd.api+json',
    'image/svg+xml',
    'multipart/form-data; boundary="a b;c"',
    'font/woff2',
    'a/b; x=1; y=2',
    `a/${'b'.repeat(253)}`,
  ]) {
    assert.ok(isMediaType(mime), mime);
  }
  const refused = [
    '',
    'text',
    'text/',
    '/html',
    'text/html/x',
    'text/html;',
    'text/html; charset',
    'text/html; =x',
    'text /html',
    ' text/html',
    'text/html ',
    'text/plain\r\nSet-Cookie: x=1',
    'text/plain\nx',
    'text/plain\u0000',
    'text/html; charset="unterminated',
    'text/html; a="b"c',
    'tëxt/html',
    'text/html\t; a=b',
    `a/${'b'.repeat(254)}`,
    'text/html; charset=utf-8\r\n',
  ];
  for (const mime of refused) assert.ok(!isMediaType(mime), JSON.stringify(mime));
});

test('abbreviate keeps short texts and shortens long ones to their start and end', () => {
  assert.equal(abbreviate('index.html'), 'index.html');
  assert.equal(abbreviate('x'.repeat(120)), 'x'.repeat(120));
  const long = `${'a'.repeat(60)}${'m'.repeat(4000)}${'z'.repeat(40)}`;
  assert.equal(abbreviate(long), `${'a'.repeat(60)}…${'z'.repeat(40)}`);
  const emoji = '😀'.repeat(200);
  assert.equal(abbreviate(emoji), `${'😀'.repeat(60)}…${'😀'.repeat(40)}`, 'no surrogate pair is cut in half');
});

test('slugs follow the contract pattern; alias names cannot look like version numbers', () => {
  assert.ok(DEPLOY_SLUG_PATTERN.test('my-document'));
  assert.ok(DEPLOY_SLUG_PATTERN.test('0day'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('-lead'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('Upper'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('a'.repeat(64)));
  assert.ok(ALIAS_NAME_PATTERN.test('production'));
  assert.ok(!ALIAS_NAME_PATTERN.test('3'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import mime from 'mime';
import { buildPlan, limitProblem, mimeOf } from './deploy-plan.ts';
import type { TargetLimits } from './ports.ts';
import type { ScannedFile } from './scan-folder.ts';

const file = (path: string, size: number): ScannedFile => ({
  path,
  absolutePath: `/site/${path}`,
  size,
  mtimeNs: 1n,
  ino: 1n,
  dev: 1n,
});
const limits: TargetLimits = { maxFileBytes: 100, maxTotalBytes: 150, maxFiles: 3, maxMissingPerCall: 10 };

test('identical content at several paths is one blob, uploaded from its first path', () => {
  const plan = buildPlan([
    { file: file('b.txt', 5), hash: 'x' },
    { file: file('a.txt', 5), hash: 'x' },
    { file: file('index.html', 7), hash: 'y' },
  ]);
  assert.deepEqual(
    plan.files.map((f) => f.path),
    ['a.txt', 'b.txt', 'index.html'],
  );
  assert.deepEqual(
    plan.blobs.map((b) => [b.hash, b.paths, b.source.path]),
    [
      ['x', ['a.txt', 'b.txt'], 'a.txt'],
      ['y', ['index.html'], 'index.html'],
    ],
  );
  assert.equal(plan.totalBytes, 17);
  assert.equal(plan.files[2]!.mime, 'text/html');
});

test('the manifest digest names the content: same folder, same digest; any path, hash or size change, another', () => {
  const base = [
    { file: file('a', 1), hash: 'x' },
    { file: file('b', 2), hash: 'y' },
  ];
  const digest = buildPlan(base).manifestDigest;
  assert.equal(buildPlan([...base].reverse()).manifestDigest, digest);
  assert.notEqual(buildPlan([{ file: file('a', 1), hash: 'z' }, base[1]!]).manifestDigest, digest);
  assert.notEqual(buildPlan([{ file: file('c', 1), hash: 'x' }, base[1]!]).manifestDigest, digest);
});

test('the manifest digest keeps its form (journals written before match): "path\\0hash\\0size\\n" per file, by path', () => {
  // Enough files to digest the manifest in several parts.
  const hashed = Array.from({ length: 3000 }, (_, i) => ({
    file: file(`pages/page-${String(i).padStart(4, '0')}.html`, i),
    hash: i.toString(16).padStart(64, '0'),
  }));
  const form = hashed.map(({ file: { path, size }, hash }) => `${path}\0${hash}\0${size}\n`).join('');
  assert.ok(form.length > 3 * 65_536);
  assert.equal(buildPlan(hashed).manifestDigest, createHash('sha256').update(form).digest('hex'));
});

test('each limit is refused before any upload, in words that say what to do', () => {
  const fits = buildPlan([{ file: file('a', 100), hash: 'x' }]);
  assert.equal(limitProblem(fits, limits), null);
  const many = buildPlan(['a', 'b', 'c', 'd'].map((p, i) => ({ file: file(p, 1), hash: String(i) })));
  assert.match(limitProblem(many, limits)!.message, /4 files.*at most 3.*\.pressignore/);
  const big = limitProblem(buildPlan([{ file: file('big.bin', 101), hash: 'x' }]), limits)!;
  assert.equal(big.code, 'upload_blob_too_large');
  assert.deepEqual(big.paths, ['big.bin']);
  const total = limitProblem(
    buildPlan([
      { file: file('a', 100), hash: 'x' },
      { file: file('b', 100), hash: 'y' },
    ]),
    limits,
  )!;
  assert.equal(total.code, 'upload_session_too_large');
});

test('mimeOf names every path as mime.getType does, remembered per extension or not', () => {
  const paths = [
    'index.html',
    'a/B.HTML',
    'b/c.Html',
    'x.tar.gz',
    'style.css',
    'README',
    'dir/.htaccess',
    '.htaccess',
    'json',
    'dir/json',
    'a.',
    'a/b.c/d',
    'é/ü.SVG',
    'data.unknownext',
    'again.unknownext',
    'font.woff2',
  ];
  // Twice: the second pass answers from what the first remembered.
  for (const pass of [1, 2])
    for (const path of paths)
      assert.equal(mimeOf(path), mime.getType(path) ?? 'application/octet-stream', `${path} (pass ${pass})`);
});

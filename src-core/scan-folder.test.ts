import { after, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HashPool } from './hash-pool.ts';
import { InlineStatPool } from './stat-pool.ts';
import { scanFolder, ScanError } from './scan-folder.ts';
import type { ScanOptions, ScanResult } from './scan-folder.ts';

const pool = new HashPool({ threads: 2 });
after(() => pool.destroy());

/** Declares the test for each place entries can be lstat'ed: the main thread (sync; async as on a slow filesystem) and the pool's threads. */
function eachWay(name: string, run: (t: TestContext, options: ScanOptions) => Promise<void>): void {
  test(`${name} (main thread)`, (t) => run(t, {}));
  test(`${name} (main thread, slow filesystem)`, (t) => run(t, { pool: new InlineStatPool({ slow: true }) }));
  test(`${name} (hash pool)`, (t) => run(t, { pool }));
}

/** A fresh temp folder holding `files` (path → content), removed after `run`. */
async function withTree(files: Record<string, string>, run: (root: string) => Promise<void>): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'pressdrop-scan-'));
  const root = join(base, 'site');
  mkdirSync(root);
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    await run(root);
  } finally {
    chmodSync(base, 0o755);
    rmSync(base, { recursive: true, force: true });
  }
}

const paths = (scan: ScanResult) => scan.files.map((f) => f.path);
const problems = (scan: ScanResult) => scan.problems.map((p) => [p.kind, p.path]);

eachWay('nested folders and empty files are listed, sorted by path, with their lstat metadata', (_t, options) =>
  withTree(
    {
      'index.html': '<h1>hi</h1>',
      'b/z.css': 'z',
      'b/a/deep/x.js': '',
      'a.txt': 'same',
      'c/a.txt': 'same',
      'b/empty/.keep': '',
    },
    async (root) => {
      const scan = await scanFolder(root, options);
      assert.equal(scan.root, realpathSync(root));
      assert.deepEqual(paths(scan), ['a.txt', 'b/a/deep/x.js', 'b/empty/.keep', 'b/z.css', 'c/a.txt', 'index.html']);
      assert.equal(scan.totalBytes, 11 + 1 + 4 + 4);
      assert.deepEqual(scan.problems, []);
      assert.equal(scan.ignoredCount, 0);
      const file = scan.files.find((f) => f.path === 'b/z.css')!;
      const stats = lstatSync(join(root, 'b/z.css'), { bigint: true });
      assert.deepEqual(file, {
        path: 'b/z.css',
        absolutePath: join(scan.root, 'b/z.css'),
        size: 1,
        mtimeNs: stats.mtimeNs,
        ino: stats.ino,
        dev: stats.dev,
      });
    },
  ),
);

test('an empty folder scans to nothing', () =>
  withTree({}, async (root) => {
    assert.deepEqual(await scanFolder(root), {
      root: realpathSync(root),
      files: [],
      totalBytes: 0,
      ignoredCount: 0,
      problems: [],
    });
  }));

eachWay('names decomposed on disk (NFD) become NFC paths; the absolute path keeps the bytes on disk', (_t, options) =>
  withTree({ ['cafe\u0301/re\u0301sume\u0301.txt']: 'x' }, async (root) => {
    const scan = await scanFolder(root, options);
    assert.deepEqual(paths(scan), ['caf\u00e9/r\u00e9sum\u00e9.txt']);
    assert.equal(scan.files[0]!.absolutePath, join(scan.root, 'cafe\u0301/re\u0301sume\u0301.txt'));
  }),
);

eachWay('two names equal after NFC are a duplicate_name problem, and neither is deployed', (_t, options) =>
  withTree({ 'caf\u00e9.txt': 'composed', 'cafe\u0301.txt': 'decomposed', 'other.txt': '' }, async (root) => {
    const scan = await scanFolder(root, options);
    assert.deepEqual(paths(scan), ['other.txt']);
    assert.deepEqual(problems(scan), [['duplicate_name', 'caf\u00e9.txt']]);
    assert.match(scan.problems[0]!.message, /rename or remove one of them/);
  }),
);

test('paths code-point sorted, as the server sorts them (astral after U+FFxx)', () =>
  withTree({ '\u{1F600}.txt': '', '\uff21.txt': '', 'a.txt': '' }, async (root) => {
    assert.deepEqual(paths(await scanFolder(root)), ['a.txt', '\uff21.txt', '\u{1F600}.txt']);
  }));

test('.git anywhere, .DS_Store and Thumbs.db are ignored and counted', () =>
  withTree(
    {
      '.git/HEAD': 'ref',
      '.git/objects/ab/cd': 'x',
      'sub/.git/config': '',
      '.DS_Store': '',
      'img/Thumbs.db': '',
      'img/a.png': 'p',
      '.gitignore': 'kept',
    },
    async (root) => {
      const scan = await scanFolder(root);
      assert.deepEqual(paths(scan), ['.gitignore', 'img/a.png']);
      assert.equal(scan.ignoredCount, 4); // two .git folders (each counted once), .DS_Store, Thumbs.db
    },
  ));

test('.pressignore rules (gitignore syntax, negation included) leave files out, and it is not deployed itself', () =>
  withTree(
    {
      '.pressignore': '# drafts stay home\n*.log\ndrafts/\nsecret.txt\nbuild/*\n!build/keep.js\n',
      'index.html': '',
      'debug.log': '',
      'logs/deep/x.log': '',
      'drafts/a.md': '',
      'drafts/b/c.md': '',
      'docs/secret.txt': '',
      'build/out.js': '',
      'build/keep.js': '',
    },
    async (root) => {
      const scan = await scanFolder(root);
      assert.deepEqual(paths(scan), ['build/keep.js', 'index.html']);
      // .pressignore, debug.log, logs/deep/x.log, drafts/ (once), docs/secret.txt, build/out.js
      assert.equal(scan.ignoredCount, 6);
    },
  ));

test('the root files that configure or record deploys are not deployed; the same names deeper down are', () =>
  withTree(
    {
      'press.json': '{}',
      'slideless.json': '{}',
      'wrangler.json': '{}',
      'wrangler.jsonc': '{}',
      'wrangler.toml': '',
      'index.html': '',
      'docs/wrangler.json': '{}',
      'docs/press.json': '{}',
    },
    async (root) => {
      const scan = await scanFolder(root);
      assert.deepEqual(paths(scan), ['docs/press.json', 'docs/wrangler.json', 'index.html']);
      assert.equal(scan.ignoredCount, 5);
    },
  ));

test('an ignored folder is pruned: what it holds is never read (a FIFO in it raises nothing)', (t) =>
  withTree({ '.pressignore': 'node_modules/\n', 'node_modules/a/b.js': '', 'a.txt': '' }, async (root) => {
    if (!mkfifo(join(root, 'node_modules/a/pipe'))) return t.skip('mkfifo is not available');
    const scan = await scanFolder(root);
    assert.deepEqual(paths(scan), ['a.txt']);
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.ignoredCount, 2);
  }));

eachWay('a FIFO is a not_regular_file problem', (t, options) =>
  withTree({ 'a.txt': '' }, async (root) => {
    if (!mkfifo(join(root, 'queue'))) return t.skip('mkfifo is not available');
    const scan = await scanFolder(root, options);
    assert.deepEqual(paths(scan), ['a.txt']);
    assert.deepEqual(problems(scan), [['not_regular_file', 'queue']]);
    assert.match(scan.problems[0]!.message, /"queue" is not a regular file.*remove it or list it in \.pressignore/);
  }),
);

eachWay('a name the contract refuses (a backslash) is an invalid_name problem', (_t, options) =>
  withTree({ 'a\\b.txt': '', 'ok.txt': '' }, async (root) => {
    const scan = await scanFolder(root, options);
    assert.deepEqual(paths(scan), ['ok.txt']);
    assert.deepEqual(problems(scan), [['invalid_name', 'a\\b.txt']]);
    assert.match(scan.problems[0]!.message, /contains a backslash/);
  }),
);

test('a symlink to a file inside is deployed at the link path, read from its target', () =>
  withTree({ 'assets/logo.svg': '<svg/>' }, async (root) => {
    symlinkSync('assets/logo.svg', join(root, 'logo.svg'));
    const scan = await scanFolder(root);
    assert.deepEqual(paths(scan), ['assets/logo.svg', 'logo.svg']);
    const link = scan.files[1]!;
    assert.equal(link.absolutePath, join(scan.root, 'assets/logo.svg'));
    assert.equal(link.size, 6);
    assert.deepEqual(scan.problems, []);
  }));

eachWay(
  'a symlink to a folder inside is crawled, its files under the link path, ignore rules applying to both paths',
  (_t, options) =>
    withTree(
      {
        '.pressignore': 'latest/skip.txt\nv2/drafts/\n',
        'v2/index.html': 'v2',
        'v2/skip.txt': '',
        'v2/css/a.css': '',
        'v2/drafts/d.md': '',
      },
      async (root) => {
        symlinkSync('v2', join(root, 'latest'));
        const scan = await scanFolder(root, options);
        assert.deepEqual(paths(scan), [
          'latest/css/a.css',
          'latest/index.html',
          'v2/css/a.css',
          'v2/index.html',
          'v2/skip.txt',
        ]);
        assert.equal(scan.files[1]!.absolutePath, join(scan.root, 'v2/index.html'));
        assert.deepEqual(scan.problems, []);
        assert.equal(scan.ignoredCount, 4); // .pressignore, latest/skip.txt, v2/drafts/ and latest/drafts/ (real path v2/drafts/)
      },
    ),
);

eachWay('a symlink to what is ignored where it really is (a .pressignore rule, .git) is ignored too', (_t, options) =>
  withTree(
    { '.pressignore': 'private/\n', 'private/key.pem': 'secret', '.git/config': '[core]', 'public/index.html': '' },
    async (root) => {
      symlinkSync('../private', join(root, 'public/p'));
      symlinkSync('../private/key.pem', join(root, 'public/key.pem'));
      symlinkSync('.git/config', join(root, 'config'));
      const scan = await scanFolder(root, options);
      assert.deepEqual(paths(scan), ['public/index.html']);
      assert.deepEqual(scan.problems, []);
      assert.equal(scan.ignoredCount, 6); // .pressignore, private/, .git/ and the three links
    },
  ),
);

eachWay(
  'symlinks outside the folder, dangling, to an ancestor, or to themselves are problems, not files',
  (_t, options) =>
    withTree({ 'a/b/c.txt': '', 'x/y.txt': '' }, async (root) => {
      const outside = join(dirname(root), 'outside.txt');
      writeFileSync(outside, 'secret');
      symlinkSync(outside, join(root, 'out.txt'));
      symlinkSync('../..', join(root, 'a/etc')); // the temp folder holding the root
      symlinkSync('missing.txt', join(root, 'dangling.txt'));
      symlinkSync('..', join(root, 'a/b/up')); // → a: contains the link
      symlinkSync('.', join(root, 'here')); // → the root itself
      symlinkSync('self', join(root, 'self'));
      const scan = await scanFolder(root, options);
      assert.deepEqual(paths(scan), ['a/b/c.txt', 'x/y.txt']);
      assert.deepEqual(problems(scan).sort(), [
        ['symlink_loop', 'a/b/up'],
        ['symlink_loop', 'here'],
        ['symlink_loop', 'self'],
        ['symlink_outside', 'a/etc'],
        ['symlink_outside', 'out.txt'],
        ['unreadable', 'dangling.txt'],
      ]);
      const byPath = new Map(scan.problems.map((p) => [p.path, p.message]));
      assert.match(byPath.get('out.txt')!, /outside the folder being deployed/);
      assert.match(byPath.get('here')!, /the deployed folder itself/);
      assert.match(byPath.get('dangling.txt')!, /"missing\.txt", which does not exist/);
    }),
);

eachWay('a loop through two folder links is caught at the first repetition', (_t, options) =>
  withTree({ 'A/a.txt': '', 'B/b.txt': '' }, async (root) => {
    symlinkSync('../B', join(root, 'A/toB'));
    symlinkSync('../A', join(root, 'B/toA'));
    const scan = await scanFolder(root, options);
    assert.deepEqual(paths(scan), ['A/a.txt', 'A/toB/b.txt', 'B/b.txt', 'B/toA/a.txt']);
    assert.deepEqual(problems(scan).sort(), [
      ['symlink_loop', 'A/toB/toA'],
      ['symlink_loop', 'B/toA/toB'],
    ]);
  }),
);

eachWay('an entry of a folder that can be listed but not searched is unreadable', (t, options) =>
  withTree({ 'half/a.txt': '', 'ok.txt': '' }, async (root) => {
    if (process.getuid?.() === 0) return t.skip('running as root: permissions are not enforced');
    chmodSync(join(root, 'half'), 0o644); // r without x: readdir works, lstat of what it lists does not
    try {
      const scan = await scanFolder(root, options);
      assert.deepEqual(paths(scan), ['ok.txt']);
      assert.deepEqual(problems(scan), [['unreadable', 'half/a.txt']]);
      assert.match(scan.problems[0]!.message, /"half\/a\.txt" cannot be read \(permission denied\)/);
    } finally {
      chmodSync(join(root, 'half'), 0o755);
    }
  }),
);

eachWay('an unreadable folder is reported, the rest is scanned', (t, options) =>
  withTree({ 'open/a.txt': '', 'closed/b.txt': '' }, async (root) => {
    if (process.getuid?.() === 0) return t.skip('running as root: permissions are not enforced');
    chmodSync(join(root, 'closed'), 0o000);
    try {
      const scan = await scanFolder(root, options);
      assert.deepEqual(paths(scan), ['open/a.txt']);
      assert.deepEqual(problems(scan), [['unreadable', 'closed']]);
      assert.match(scan.problems[0]!.message, /The folder "closed" cannot be read \(permission denied\)/);
    } finally {
      chmodSync(join(root, 'closed'), 0o755);
    }
  }),
);

test('an unusable root throws a ScanError with a code', () =>
  withTree({ 'file.txt': '' }, async (root) => {
    await assert.rejects(
      scanFolder(join(root, 'nope')),
      (error: unknown) =>
        error instanceof ScanError && error.code === 'folder_not_found' && /does not exist/.test(error.message),
    );
    await assert.rejects(
      scanFolder(join(root, 'file.txt')),
      (error: unknown) => error instanceof ScanError && error.code === 'not_a_directory',
    );
  }));

test('a .pressignore that cannot be read stops the scan rather than deploy what it meant to keep out', () =>
  withTree({ 'a.txt': '' }, async (root) => {
    mkdirSync(join(root, '.pressignore'));
    await assert.rejects(
      scanFolder(root),
      (error: unknown) => error instanceof ScanError && error.code === 'unreadable_pressignore',
    );
  }));

eachWay('progress is reported, and an aborted scan rejects with the abort reason', (_t, options) =>
  withTree(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`d${i % 7}/f${i}.txt`, `${i}`])), async (root) => {
    const seen: number[] = [];
    const scan = await scanFolder(root, { ...options, onProgress: (n) => seen.push(n) });
    assert.equal(scan.files.length, 300);
    assert.equal(seen.at(-1), 300);
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    await assert.rejects(scanFolder(root, { ...options, signal: controller.signal }), /user cancelled/);
  }),
);

/** Makes a FIFO with mkfifo(1); false where there is none. */
function mkfifo(path: string): boolean {
  try {
    execFileSync('mkfifo', [path]);
    return true;
  } catch {
    return false;
  }
}
